//! A chunk's links in the stored form of the stage's output.

use serde::{Deserialize, Serialize};

use crate::cache::stored::{asset_keys, keys, Key};
use crate::graph::AssetKey;
use crate::stages::js::types::ChunkLinks;

#[derive(Serialize, Deserialize)]
pub struct StoredLinks {
    key: Key,
    css: Vec<String>,
    css_key: Option<Key>,
    preload: Vec<Key>,
    css_order: Vec<Key>,
    dynamic: Vec<Key>,
}

impl From<&ChunkLinks> for StoredLinks {
    fn from(l: &ChunkLinks) -> StoredLinks {
        StoredLinks {
            key: Key::from(&l.key),
            css: l.css.clone(),
            css_key: l.css_key.as_ref().map(Key::from),
            preload: keys(&l.preload),
            css_order: keys(&l.css_order),
            dynamic: keys(&l.dynamic),
        }
    }
}

impl From<StoredLinks> for ChunkLinks {
    fn from(l: StoredLinks) -> ChunkLinks {
        ChunkLinks {
            key: l.key.into(),
            css: l.css,
            css_key: l.css_key.map(AssetKey::from),
            preload: asset_keys(l.preload),
            css_order: asset_keys(l.css_order),
            dynamic: asset_keys(l.dynamic),
        }
    }
}
