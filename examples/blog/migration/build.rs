// Lists src/versions/*.rs for autogen::include_versions!(), so new revisions need no registration.
fn main() {
    autogen_build::versions();
}
