//! Signatures of remote cache entries. A shared build cache is only as trustworthy as its
//! least trusted writer, so every entry a build uploads is signed, and an entry whose
//! signature does not verify is never used: it is rebuilt, and counted as rejected.
//!
//! The key comes from the environment, never from kiln.toml:
//! - `KILN_CACHE_SECRET`: an HMAC-SHA256 secret (at least 32 characters); whoever holds it can
//!   read and write;
//! - `KILN_CACHE_SIGNING_KEY`: an Ed25519 private key (64 hex digits, `kiln cache keygen`
//!   makes one); it signs, and its public half verifies;
//! - `KILN_CACHE_PUBLIC_KEY`: only the Ed25519 public key (64 hex digits): such a build can
//!   verify what it reads and can write nothing, which is what an untrusted job (a pull
//!   request from a fork) should get.
//!
//! What is signed binds the payload to its key and its namespace, so an entry copied to
//! another key or into another namespace (say, from a pull request's into `main`) fails.

use aws_lc_rs::hmac;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};

pub const SECRET_VAR: &str = "KILN_CACHE_SECRET";
pub const SIGNING_VAR: &str = "KILN_CACHE_SIGNING_KEY";
pub const PUBLIC_VAR: &str = "KILN_CACHE_PUBLIC_KEY";

const MAGIC: &[u8; 8] = b"kilnr001";
const HMAC_SHA256: u8 = 1;
const ED25519_ALG: u8 = 2;
const CONTEXT: &[u8] = b"kiln remote cache entry v1\0";

/// Why the environment's keys cannot be used, or no key pair could be made; the message names
/// the variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("{SECRET_VAR} is {0} characters long; use at least 32 (e.g. `openssl rand -hex 32`)")]
    ShortSecret(usize),
    #[error("{SIGNING_VAR} must be 64 hex digits (`kiln cache keygen` makes a key pair)")]
    SigningKeyNotHex,
    #[error("{SIGNING_VAR}: {0}")]
    SigningKey(String),
    #[error("{PUBLIC_VAR} is not the public half of {SIGNING_VAR}")]
    NotAPair,
    #[error("{PUBLIC_VAR} must be 64 hex digits")]
    PublicKeyNotHex,
    #[error("the system's random generator failed")]
    Random,
}

pub enum Keys {
    Hmac(Box<hmac::Key>),
    Ed25519 { pair: Option<Ed25519KeyPair>, public: Vec<u8> },
}

impl Keys {
    /// The keys the environment gives (`var` reads a variable): `Ok(None)` when it gives none,
    /// an error naming the variable when one is malformed.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Option<Keys>, KeyError> {
        let var = |name: &str| var(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        if let Some(secret) = var(SECRET_VAR) {
            if secret.len() < 32 {
                return Err(KeyError::ShortSecret(secret.len()));
            }
            return Ok(Some(Keys::Hmac(Box::new(hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes())))));
        }
        if let Some(seed) = var(SIGNING_VAR) {
            let seed = hex32(&seed).ok_or(KeyError::SigningKeyNotHex)?;
            let pair = Ed25519KeyPair::from_seed_unchecked(&seed).map_err(|e| KeyError::SigningKey(e.to_string()))?;
            let public = pair.public_key().as_ref().to_vec();
            if let Some(given) = var(PUBLIC_VAR) {
                if hex32(&given).map(|g| g.to_vec()) != Some(public.clone()) {
                    return Err(KeyError::NotAPair);
                }
            }
            return Ok(Some(Keys::Ed25519 { pair: Some(pair), public }));
        }
        if let Some(public) = var(PUBLIC_VAR) {
            let public = hex32(&public).ok_or(KeyError::PublicKeyNotHex)?;
            return Ok(Some(Keys::Ed25519 { pair: None, public: public.to_vec() }));
        }
        Ok(None)
    }

    pub fn can_sign(&self) -> bool {
        !matches!(self, Keys::Ed25519 { pair: None, .. })
    }

    /// The stored form of `payload` under `key` in `namespace`, signed; `None` without a
    /// signing key.
    pub fn seal(&self, namespace: &str, key: &[u8; 32], payload: &[u8]) -> Option<Vec<u8>> {
        let msg = message(namespace, key, payload);
        let (alg, sig): (u8, Vec<u8>) = match self {
            Keys::Hmac(k) => (HMAC_SHA256, hmac::sign(k, &msg).as_ref().to_vec()),
            Keys::Ed25519 { pair: Some(pair), .. } => (ED25519_ALG, pair.sign(&msg).as_ref().to_vec()),
            Keys::Ed25519 { pair: None, .. } => return None,
        };
        let mut out = Vec::with_capacity(MAGIC.len() + 2 + sig.len() + payload.len());
        out.extend_from_slice(MAGIC);
        out.push(alg);
        out.push(sig.len() as u8);
        out.extend_from_slice(&sig);
        out.extend_from_slice(payload);
        Some(out)
    }

    /// The payload of a stored entry, if it is signed with this key for `key` in `namespace`.
    pub fn open<'a>(&self, namespace: &str, key: &[u8; 32], stored: &'a [u8]) -> Option<&'a [u8]> {
        let rest = stored.strip_prefix(MAGIC.as_slice())?;
        let (&alg, rest) = rest.split_first()?;
        let (&len, rest) = rest.split_first()?;
        let (sig, payload) = rest.split_at_checked(len as usize)?;
        let msg = message(namespace, key, payload);
        let ok = match (self, alg) {
            (Keys::Hmac(k), HMAC_SHA256) => hmac::verify(k, &msg, sig).is_ok(),
            (Keys::Ed25519 { public, .. }, ED25519_ALG) => UnparsedPublicKey::new(&ED25519, public).verify(&msg, sig).is_ok(),
            _ => false,
        };
        ok.then_some(payload)
    }
}

fn message(namespace: &str, key: &[u8; 32], payload: &[u8]) -> Vec<u8> {
    let mut msg = Vec::with_capacity(CONTEXT.len() + namespace.len() + 65);
    msg.extend_from_slice(CONTEXT);
    msg.extend_from_slice(namespace.as_bytes());
    msg.push(0);
    msg.extend_from_slice(key);
    msg.extend_from_slice(blake3::hash(payload).as_bytes());
    msg
}

fn hex32(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new Ed25519 key pair, as (private, public) hex for `KILN_CACHE_SIGNING_KEY` and
/// `KILN_CACHE_PUBLIC_KEY`.
pub fn keygen() -> Result<(String, String), KeyError> {
    let mut seed = [0u8; 32];
    aws_lc_rs::rand::fill(&mut seed).map_err(|_| KeyError::Random)?;
    let pair = Ed25519KeyPair::from_seed_unchecked(&seed).map_err(|e| KeyError::SigningKey(e.to_string()))?;
    Ok((hex(&seed), hex(pair.public_key().as_ref())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }

    #[test]
    fn entries_verify_only_under_their_key_namespace_and_signer() {
        let (private, public) = keygen().unwrap();
        let writer = Keys::from_env(env(&[(SIGNING_VAR, &private)])).unwrap().unwrap();
        let reader = Keys::from_env(env(&[(PUBLIC_VAR, &public)])).unwrap().unwrap();
        assert!(writer.can_sign() && !reader.can_sign());
        assert!(reader.seal("main", &[1; 32], b"x").is_none(), "a public key signs nothing");
        let sealed = writer.seal("main", &[1; 32], b"payload").unwrap();
        assert_eq!(reader.open("main", &[1; 32], &sealed), Some(&b"payload"[..]));
        assert_eq!(reader.open("pr-7", &[1; 32], &sealed), None, "copied into another namespace");
        assert_eq!(reader.open("main", &[2; 32], &sealed), None, "copied to another key");
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert_eq!(reader.open("main", &[1; 32], &tampered), None, "payload changed");
        let (other, _) = keygen().unwrap();
        let stranger = Keys::from_env(env(&[(SIGNING_VAR, &other)])).unwrap().unwrap();
        assert_eq!(reader.open("main", &[1; 32], &stranger.seal("main", &[1; 32], b"payload").unwrap()), None, "another signer");
        assert_eq!(reader.open("main", &[1; 32], b"payload"), None, "unsigned");

        let secret = "s".repeat(40);
        let hmac = Keys::from_env(env(&[(SECRET_VAR, &secret)])).unwrap().unwrap();
        let sealed = hmac.seal("main", &[1; 32], b"payload").unwrap();
        assert_eq!(hmac.open("main", &[1; 32], &sealed), Some(&b"payload"[..]));
        let wrong = Keys::from_env(env(&[(SECRET_VAR, &"t".repeat(40))])).unwrap().unwrap();
        assert_eq!(wrong.open("main", &[1; 32], &sealed), None);
        assert_eq!(reader.open("main", &[1; 32], &sealed), None, "an HMAC entry is not an Ed25519 one");
    }

    #[test]
    fn malformed_keys_name_their_variable() {
        assert!(Keys::from_env(env(&[])).unwrap().is_none());
        for (var, value) in [(SECRET_VAR, "short"), (SIGNING_VAR, "abc"), (PUBLIC_VAR, "zz")] {
            let e = Keys::from_env(env(&[(var, value)])).err().unwrap();
            assert!(e.to_string().contains(var), "{e}");
        }
        let (private, _) = keygen().unwrap();
        let (_, other_public) = keygen().unwrap();
        let e = Keys::from_env(env(&[(SIGNING_VAR, &private), (PUBLIC_VAR, &other_public)])).err().unwrap();
        assert!(e.to_string().contains("public half"), "{e}");
    }
}
