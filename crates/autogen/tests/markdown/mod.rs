//! The code blocks of a Markdown document, shared by the test that parses
//! the documented commands (`crates/autogen/tests/docs.rs`) and the one that
//! runs the console examples (`tests/documented.rs`).

/// A fenced code block.
pub struct CodeBlock {
    /// What follows the opening fence: `sh`, `console`…
    pub info: String,
    /// Each line with its line number in the document, less the fence's indentation.
    pub lines: Vec<(usize, String)>,
}

/// The fenced code blocks of `text`.
pub fn code_blocks(text: &str) -> Vec<CodeBlock> {
    let mut blocks = Vec::new();
    let mut open: Option<(usize, CodeBlock)> = None;
    for (number, line) in (1..).zip(text.lines()) {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if let Some(info) = trimmed.strip_prefix("```") {
            match open.take() {
                None => {
                    let block = CodeBlock {
                        info: info.trim().to_owned(),
                        lines: Vec::new(),
                    };
                    open = Some((indent, block));
                }
                Some((_, block)) => blocks.push(block),
            }
        } else if let Some((fence_indent, block)) = &mut open {
            let unindented = line.get(indent.min(*fence_indent)..).unwrap_or_default();
            block.lines.push((number, unindented.to_owned()));
        }
    }
    assert!(open.is_none(), "a code block is not closed");
    blocks
}

/// A `$ command` line of a ```console block and the lines it shows the
/// command printing, up to the next `$ ` line or the block's end.
pub struct ConsoleExample {
    /// The `$ ` line's number in the document.
    pub line: usize,
    /// The command line, without the `$ `.
    pub command: String,
    /// What it prints, each line ending in a newline.
    pub output: String,
}

/// The console examples of `text`, in order.
pub fn console_examples(text: &str) -> Vec<ConsoleExample> {
    let mut examples = Vec::new();
    for block in code_blocks(text).into_iter().filter(|b| b.info == "console") {
        let mut in_block: Vec<ConsoleExample> = Vec::new();
        for (number, line) in block.lines {
            match line.strip_prefix("$ ") {
                Some(command) => in_block.push(ConsoleExample {
                    line: number,
                    command: command.trim().to_owned(),
                    output: String::new(),
                }),
                None => {
                    let example = in_block
                        .last_mut()
                        .unwrap_or_else(|| panic!("line {number}: a console block begins with a `$ ` line"));
                    example.output.push_str(&line);
                    example.output.push('\n');
                }
            }
        }
        examples.extend(in_block);
    }
    examples
}
