//! Secret and private files by their names: what a build never writes, `kiln publish` never
//! uploads and `kiln serve` never serves.

/// What a file's path says of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A known secret or private file (a `.env`, a private key, a version-control folder…), with
    /// what it is.
    Secret(&'static str),
    /// Another dotfile, or a file in a dotfolder (but `.well-known/`): left out.
    Dotfile,
    /// Anything else.
    Plain,
}

/// What `path` (`/`-separated, relative) is, by the name of each of its parts.
pub fn classify(path: &str) -> FileKind {
    let parts: Vec<&str> = path.split(['/', '\\']).filter(|p| !p.is_empty()).collect();
    let mut dotted = false;
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let lower = part.to_ascii_lowercase();
        if let Some(what) = secret_folder(&lower).filter(|_| !last) {
            return FileKind::Secret(what);
        }
        if last {
            if let Some(what) = secret_file(&lower) {
                return FileKind::Secret(what);
            }
        }
        if part.starts_with('.') && lower != ".well-known" {
            dotted = true;
        }
    }
    if dotted {
        FileKind::Dotfile
    } else {
        FileKind::Plain
    }
}

fn secret_folder(name: &str) -> Option<&'static str> {
    match name {
        ".git" | ".svn" | ".hg" => Some("a version-control folder"),
        ".ssh" => Some("an SSH folder"),
        ".aws" => Some("AWS credentials"),
        _ => None,
    }
}

fn secret_file(name: &str) -> Option<&'static str> {
    let ext = name.rsplit_once('.').map(|(_, e)| e);
    if name == ".env" || (name.starts_with(".env.") && !matches!(name, ".env.example" | ".env.sample" | ".env.template")) {
        return Some("an environment file");
    }
    if name.starts_with("id_rsa") || name.starts_with("id_ed25519") || name.starts_with("id_ecdsa") || name.starts_with("id_dsa") {
        return Some("an SSH key");
    }
    match name {
        ".npmrc" => return Some("an npm configuration (it may hold a token)"),
        ".netrc" | "_netrc" => return Some("a .netrc (it holds passwords)"),
        ".ds_store" => return Some("a .DS_Store (it lists a folder's files)"),
        ".git" | ".gitconfig" | ".git-credentials" => return Some("a git file"),
        ".htpasswd" => return Some("a password file"),
        _ => {}
    }
    match ext {
        Some("pem") => Some("a PEM file (a key or certificate)"),
        Some("key") => Some("a private key"),
        Some("p12" | "pfx") => Some("a certificate store with its private key"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for secret in [
            ".env",
            ".env.production",
            ".env.local",
            "a/.env",
            "id_rsa",
            "keys/id_ed25519.pub",
            "server.pem",
            "tls.key",
            "c.p12",
            "c.PFX",
            ".npmrc",
            ".netrc",
            ".git/config",
            "x/.git/HEAD",
            ".ssh/known_hosts",
            ".aws/credentials",
            ".svn/entries",
            ".hg/hgrc",
            ".DS_Store",
            "img/.DS_Store",
        ] {
            assert!(matches!(classify(secret), FileKind::Secret(_)), "{secret}");
        }
        for dot in [".htaccess", ".nojekyll", ".cache/x.js", "a/.hidden/b.txt", ".gitignore", ".env.example"] {
            assert_eq!(classify(dot), FileKind::Dotfile, "{dot}");
        }
        for plain in
            [".well-known/security.txt", ".well-known/apple-app-site-association", "index.html", "assets/env.js", "keyboard.js", "monkey.png", "envy.txt"]
        {
            assert_eq!(classify(plain), FileKind::Plain, "{plain}");
        }
    }
}
