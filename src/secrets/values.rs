//! Secret values in text: the high-confidence rules of gitleaks' default set
//! (github.com/gitleaks/gitleaks, `config/gitleaks.toml`: `private-key`, `aws-access-token`,
//! `github-pat`, `github-fine-grained-pat`, `github-oauth`, `github-app-token`,
//! `github-refresh-token`, `gitlab-pat`, `npm-access-token`, `slack-bot-token`,
//! `slack-user-token`, `stripe-access-token` (live keys only), `jwt`, `gcp-api-key`), as
//! patterns written here. An AWS access key id counts only with a secret-looking 40-character
//! value near it (an id alone opens nothing).
//!
//! One regex of alternatives finds them all in one pass over a file (its literal prefixes
//! found by a vectorised search); each match gets a fingerprint, `rule:hash`, which
//! `[secrets] allow` takes to let a known value through.

use std::sync::OnceLock;

use regex::bytes::Regex;

/// A rule: its id (gitleaks' name) and what it finds, as a human reads it.
pub struct Rule {
    pub id: &'static str,
    pub what: &'static str,
    pattern: &'static str,
}

const RULES: &[Rule] = &[
    Rule { id: "private-key", what: "a private key", pattern: r"-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----" },
    Rule { id: "aws-access-token", what: "an AWS access key id", pattern: r"\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b" },
    Rule { id: "github-pat", what: "a GitHub personal access token", pattern: r"\bghp_[0-9a-zA-Z]{36}\b" },
    Rule { id: "github-fine-grained-pat", what: "a GitHub fine-grained token", pattern: r"\bgithub_pat_[0-9a-zA-Z_]{82}\b" },
    Rule { id: "github-oauth", what: "a GitHub OAuth token", pattern: r"\bgho_[0-9a-zA-Z]{36}\b" },
    Rule { id: "github-app-token", what: "a GitHub app token", pattern: r"\b(?:ghu|ghs)_[0-9a-zA-Z]{36}\b" },
    Rule { id: "github-refresh-token", what: "a GitHub refresh token", pattern: r"\bghr_[0-9a-zA-Z]{36}\b" },
    Rule { id: "gitlab-pat", what: "a GitLab personal access token", pattern: r"\bglpat-[0-9a-zA-Z_-]{20}\b" },
    Rule { id: "npm-access-token", what: "an npm access token", pattern: r"\bnpm_[0-9a-zA-Z]{36}\b" },
    Rule { id: "slack-bot-token", what: "a Slack bot token", pattern: r"\bxoxb-[0-9]{10,13}-[0-9]{10,13}[a-zA-Z0-9-]*" },
    Rule { id: "slack-user-token", what: "a Slack user token", pattern: r"\bxox[pe](?:-[0-9]{10,13}){3}-[a-zA-Z0-9-]{28,34}" },
    Rule { id: "stripe-access-token", what: "a live Stripe secret key", pattern: r"\b(?:sk|rk)_live_[0-9a-zA-Z]{10,99}\b" },
    Rule { id: "jwt", what: "a JSON Web Token", pattern: r"\beyJ[0-9a-zA-Z_-]{10,}\.eyJ[0-9a-zA-Z_-]{10,}\.[0-9a-zA-Z_-]{10,}" },
    Rule { id: "gcp-api-key", what: "a Google API key", pattern: r"\bAIza[0-9A-Za-z_-]{35}\b" },
];

/// Every rule's id.
pub fn rule_ids() -> impl Iterator<Item = &'static str> {
    RULES.iter().map(|r| r.id)
}

fn regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        let alternatives: Vec<String> = RULES.iter().map(|r| format!("({})", r.pattern)).collect();
        Regex::new(&alternatives.join("|")).expect("the rules are valid patterns")
    })
}

/// A secret found: its rule, where it is (byte range) and its fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub rule: &'static Rule,
    pub start: usize,
    pub end: usize,
    pub fingerprint: String,
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id)
    }
}

impl PartialEq for Rule {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Rule {}

/// The fingerprint of a value found by a rule: `rule:` and 16 hex digits of its blake3.
pub fn fingerprint(rule: &str, value: &[u8]) -> String {
    format!("{rule}:{}", &blake3::hash(value).to_hex()[..16])
}

/// Every secret in `text`, in order.
pub fn scan(text: &[u8]) -> Vec<Found> {
    let mut found = Vec::new();
    for caps in regex().captures_iter(text) {
        let Some((i, m)) = caps.iter().skip(1).enumerate().find_map(|(i, m)| m.map(|m| (i, m))) else { continue };
        let rule = &RULES[i];
        if rule.id == "aws-access-token" && !aws_secret_near(text, m.start(), m.end()) {
            continue;
        }
        found.push(Found { rule, start: m.start(), end: m.end(), fingerprint: fingerprint(rule.id, m.as_bytes()) });
    }
    found
}

/// A 40-character secret-looking value (base64 letters, with a digit, a lower and an upper
/// case letter; `KEY=value` counts) within 300 bytes of an AWS key id.
fn aws_secret_near(text: &[u8], start: usize, end: usize) -> bool {
    static SECRET: OnceLock<Regex> = OnceLock::new();
    let re = SECRET.get_or_init(|| Regex::new(r"(?:^|[^A-Za-z0-9/+])([A-Za-z0-9/+]{40})(?:$|[^A-Za-z0-9/+=])").expect("valid"));
    let window = &text[start.saturating_sub(300)..(end + 300).min(text.len())];
    re.captures_iter(window).any(|c| {
        let v = c.get(1).map_or(&b""[..], |m| m.as_bytes());
        v.iter().any(u8::is_ascii_digit) && v.iter().any(u8::is_ascii_lowercase) && v.iter().any(u8::is_ascii_uppercase)
    })
}

/// Line and column (both from 1, the column in characters) of byte `at` of `text`.
pub fn line_col(text: &[u8], at: usize) -> (usize, usize) {
    let before = &text[..at.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let start = before.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    let col = String::from_utf8_lossy(&before[start..]).chars().count() + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(text: &str) -> Vec<&'static str> {
        scan(text.as_bytes()).iter().map(|f| f.rule.id).collect()
    }

    #[test]
    fn finds_each_rule_and_nothing_else() {
        // Made-up values of each form (none is a real credential).
        let key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----";
        assert_eq!(ids(key), ["private-key"]);
        assert_eq!(ids("-----BEGIN OPENSSH PRIVATE KEY-----"), ["private-key"]);
        assert_eq!(ids("-----BEGIN PUBLIC KEY-----"), Vec::<&str>::new());
        let aws = "AWS_ACCESS_KEY_ID=AKIAQWERTYUIOPASDFGH\nAWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKQ";
        assert_eq!(ids(aws), ["aws-access-token"]);
        assert_eq!(ids("const id = 'AKIAQWERTYUIOPASDFGH';"), Vec::<&str>::new(), "an id with no secret near it");
        assert_eq!(ids(&format!("t='ghp_{}'", "aB3".repeat(12))), ["github-pat"]);
        assert_eq!(ids(&format!("t='github_pat_{}'", "aB3_".repeat(20) + "xy")), ["github-fine-grained-pat"]);
        assert_eq!(ids("glpat-abcdefghij0123456789"), ["gitlab-pat"]);
        assert_eq!(ids(&format!("//registry.npmjs.org/:_authToken=npm_{}", "a1B2".repeat(9))), ["npm-access-token"]);
        assert_eq!(ids("xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"), ["slack-bot-token"]);
        assert_eq!(ids("Stripe('sk_live_4eC39HqLyjWDarjtT1zdp7dc')"), ["stripe-access-token"]);
        assert_eq!(
            ids("Stripe('pk_live_4eC39HqLyjWDarjtT1zdp7dc'); sk_test_4eC39HqLyjWDarjtT1zdp7dc"),
            Vec::<&str>::new(),
            "publishable and test keys are not secrets"
        );
        assert_eq!(ids("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"), ["jwt"]);
        assert_eq!(ids("key: 'AIzaSyA1234567890abcdefghijklmnopqrstuv'"), ["gcp-api-key"]);
        assert_eq!(ids("function ghp_(x) { return x }; const sk_live = 1; eyJ.eyJ.x"), Vec::<&str>::new());
    }

    #[test]
    fn fingerprints_and_places() {
        let text = "a\nb = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc'";
        let f = &scan(text.as_bytes())[0];
        assert_eq!(f.fingerprint, fingerprint("stripe-access-token", b"sk_live_4eC39HqLyjWDarjtT1zdp7dc"));
        assert!(f.fingerprint.starts_with("stripe-access-token:") && f.fingerprint.len() == "stripe-access-token:".len() + 16);
        assert_eq!(line_col(text.as_bytes(), f.start), (2, 6));
    }
}
