//! Unit tests for location rendering.

use super::Loc;

#[test]
fn renders_dotted_paths_with_indices() {
    let root = Loc::Root("paths");
    let path = Loc::Key(&root, "/pets/{id}");
    let get = Loc::Key(&path, "get");
    let params = Loc::Key(&get, "parameters");
    let first = Loc::Index(&params, 0);
    assert_eq!(first.to_string(), "paths./pets/{id}.get.parameters[0]");
    let empty = Loc::Root("");
    assert_eq!(Loc::Key(&empty, "openapi").to_string(), "openapi");
}
