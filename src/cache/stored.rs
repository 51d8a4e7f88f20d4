//! The stored forms of the graph's asset keys and references, for cache entries: a key by its
//! parts (the graph's keys serialize as their manifest string, which nothing parses back).

use serde::{Deserialize, Serialize};

use crate::graph::{AssetKey, AssetKind, Ref, RefUse};

#[derive(Serialize, Deserialize)]
pub enum Key {
    File(String),
    ChunkCss(Box<Key>),
    ImageVariant { image: String, name: String },
    InlineModule { page: String, index: usize },
    Query { path: String, query: String },
}

impl From<&AssetKey> for Key {
    fn from(k: &AssetKey) -> Key {
        match k {
            AssetKey::File(p) => Key::File(p.clone()),
            AssetKey::ChunkCss(of) => Key::ChunkCss(Box::new(Key::from(&**of))),
            AssetKey::ImageVariant { image, name } => Key::ImageVariant { image: image.clone(), name: name.clone() },
            AssetKey::InlineModule { page, index } => Key::InlineModule { page: page.clone(), index: *index },
            AssetKey::Query { path, query } => Key::Query { path: path.clone(), query: query.clone() },
        }
    }
}

impl From<Key> for AssetKey {
    fn from(k: Key) -> AssetKey {
        match k {
            Key::File(p) => AssetKey::File(p),
            Key::ChunkCss(of) => AssetKey::ChunkCss(Box::new(AssetKey::from(*of))),
            Key::ImageVariant { image, name } => AssetKey::ImageVariant { image, name },
            Key::InlineModule { page, index } => AssetKey::InlineModule { page, index },
            Key::Query { path, query } => AssetKey::Query { path, query },
        }
    }
}

pub fn keys(list: &[AssetKey]) -> Vec<Key> {
    list.iter().map(Key::from).collect()
}

pub fn asset_keys(list: Vec<Key>) -> Vec<AssetKey> {
    list.into_iter().map(AssetKey::from).collect()
}

#[derive(Serialize, Deserialize)]
pub struct StoredRef {
    target: Key,
    kind: AssetKind,
    use_: RefUse,
    public: bool,
}

impl From<&Ref> for StoredRef {
    fn from(r: &Ref) -> StoredRef {
        StoredRef { target: Key::from(&r.target), kind: r.kind, use_: r.use_, public: r.public }
    }
}

impl From<StoredRef> for Ref {
    fn from(r: StoredRef) -> Ref {
        Ref { target: r.target.into(), kind: r.kind, use_: r.use_, public: r.public }
    }
}
