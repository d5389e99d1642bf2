//! `netlab step`: the stepper at a terminal (line editing, history, completion) or reading
//! commands from a file or a pipe.

use crate::load_simulated;
use std::process::ExitCode;

pub(crate) fn cmd_step(file: &str, commands: Option<&str>, seed: Option<u64>) -> ExitCode {
    use std::io::IsTerminal;
    let scn = match load_simulated(file, "step") {
        Ok(s) => s,
        Err(code) => return code,
    };
    let mut stepper = netlab::step::Stepper::new(scn, seed);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let result = match commands {
        Some(path) => match std::fs::File::open(path) {
            Ok(f) => stepper
                .run_session(std::io::BufReader::new(f), &mut out, true, false)
                .map_err(|e| match e.kind() {
                    std::io::ErrorKind::InvalidData => {
                        std::io::Error::new(e.kind(), format!("{path}: {e}"))
                    }
                    _ => e,
                }),
            Err(e) => {
                eprintln!("error: cannot read {path}: {e}");
                return ExitCode::from(2);
            }
        },
        None => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() && std::io::stdout().is_terminal() {
                drop(out);
                return step_terminal(&mut stepper);
            }
            // Piped input stays plain: each command echoed after the prompt, a transcript.
            let interactive = stdin.is_terminal();
            stepper.run_session(stdin.lock(), &mut out, !interactive, interactive)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`netlab step … | head`) is not an error worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Completes the stepper's commands, arguments and node names (Tab) at a terminal.
struct StepHelper<'a>(&'a std::cell::RefCell<Option<Vec<String>>>);

impl rustyline::completion::Completer for StepHelper<'_> {
    type Candidate = String;
    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &rustyline::Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        let line = &line[..pos];
        let start = line.rfind(char::is_whitespace).map_or(0, |i| i + 1);
        // The candidate lines were made by the stepper before the line was read (the helper
        // cannot borrow the stepper, which commands change).
        let lines = self.0.borrow();
        let mut words = netlab::step::complete_in(lines.as_deref().unwrap_or(&[]), line);
        if let [one] = words.as_mut_slice() {
            one.push(' '); // a whole word: ready for the next one
        }
        Ok((start, words))
    }
}

impl rustyline::hint::Hinter for StepHelper<'_> {
    type Hint = String;
}
impl rustyline::highlight::Highlighter for StepHelper<'_> {}
impl rustyline::validate::Validator for StepHelper<'_> {}
impl rustyline::Helper for StepHelper<'_> {}

/// `netlab step` at a terminal: line editing, history (↑/↓, Ctrl-R) and Tab completion by
/// rustyline, the prompt showing the current time and event, goodbye on Ctrl-D.
fn step_terminal(stepper: &mut netlab::step::Stepper) -> ExitCode {
    use rustyline::error::ReadlineError;
    let candidates = std::cell::RefCell::new(None);
    let mut editor =
        match rustyline::Editor::<StepHelper, rustyline::history::DefaultHistory>::new() {
            Ok(e) => e,
            Err(e) => {
                eprintln!("error: cannot read the terminal: {e}");
                return ExitCode::from(2);
            }
        };
    editor.set_helper(Some(StepHelper(&candidates)));
    print!("{}", stepper.banner());
    loop {
        *candidates.borrow_mut() = Some(stepper.completion_lines());
        match editor.readline(&stepper.prompt()) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                }
                let reply = stepper.execute(&line);
                print!("{}", reply.text);
                if reply.quit {
                    return ExitCode::SUCCESS;
                }
            }
            Err(ReadlineError::Interrupted) => {
                println!("(Ctrl-C: type `quit` or press Ctrl-D to leave)");
            }
            Err(ReadlineError::Eof) => {
                print!("{}", netlab::step::Stepper::GOODBYE);
                return ExitCode::SUCCESS;
            }
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
    }
}
