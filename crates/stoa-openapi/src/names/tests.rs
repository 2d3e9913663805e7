//! Unit tests for derived operation ids, sanitization and the shortened wire-name form.

use super::*;

#[test]
fn derived_ids_follow_method_and_segments() {
    assert_eq!(derived_id(Method::Get, "/pets/{petId}"), "get_pets_by_petId");
    assert_eq!(derived_id(Method::Post, "/pets"), "post_pets");
    assert_eq!(derived_id(Method::Get, "/"), "get_root");
    assert_eq!(derived_id(Method::Delete, "/a//b/"), "delete_a_b");
    assert_eq!(derived_id(Method::Get, "/user-profiles/{id}"), "get_user-profiles_by_id");
    assert_eq!(derived_id(Method::Get, "/files/{name}.json"), "get_files_by_name_json");
    assert_eq!(derived_id(Method::Patch, "/v1.0/{a}{b}"), "patch_v1_0_by_a_by_b");
    assert_eq!(
        derived_id(Method::Head, "/repos/{owner}/{repo}:archive"),
        "head_repos_by_owner_by_repo_archive"
    );
    assert_eq!(derived_id(Method::Options, "/ünï"), "options_n");
}

#[test]
fn sanitize_replaces_each_other_character() {
    assert_eq!(sanitize("repos/get-content"), "repos/get-content".replace('/', "_"));
    assert_eq!(sanitize("a.b c:d"), "a_b_c_d");
    assert_eq!(sanitize("é"), "_");
    assert_eq!(sanitize("OK_-09"), "OK_-09");
}

#[test]
fn shortened_names_keep_a_prefix_and_a_hash() {
    let name = wire_name("t", "a", &"x".repeat(100));
    assert_eq!(name.len(), MAX_WIRE_NAME_LEN);
    assert!(name.starts_with("t__a__xxx"));
    let (prefix, hash) = name.rsplit_once('_').unwrap_or_default();
    assert_eq!(prefix.len(), MAX_WIRE_NAME_LEN - 1 - HASH_HEX);
    assert_eq!(hash.len(), HASH_HEX);
    assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()));
    // A prefix cut right after underscores does not end in a run of them.
    let name = wire_name("t", "a", &format!("{}{}tail", "y".repeat(44), "_".repeat(20)));
    let hash = &name[name.len() - HASH_HEX..];
    assert_eq!(name, format!("t__a__{}_{hash}", "y".repeat(44)));
    // Exactly 64 characters is kept as is.
    let op = "o".repeat(64 - "t__a__".len());
    assert_eq!(wire_name("t", "a", &op), format!("t__a__{op}"));
    assert_ne!(wire_name("t", "a", &format!("{op}o")), format!("t__a__{op}o"));
}
