// Lists src/versions/*.rs for autogen::include_versions!(), so new revisions need no registration.
fn main() {
    autogen::build::versions();
}
