//! The CLI's progress bars in Python: a host that is not a terminal (a notebook) gets each redraw
//! of a bar on Python's `sys.stderr`, where a notebook shows it under the cell.

use indicatif::{ProgressDrawTarget, TermLike};
use pyo3::prelude::*;
use std::io;
use std::sync::Mutex;

/// indicatif's terminal on `sys.stderr`: a redraw begins with a carriage return (a notebook's
/// output, like a terminal, writes the next redraw over the line) and is written whole on
/// flush; cursor moves are dropped (one bar draws at a time).
#[derive(Debug, Default)]
struct PythonStderr {
    pending: Mutex<String>,
}

impl PythonStderr {
    fn push(&self, s: &str) -> io::Result<()> {
        self.pending
            .lock()
            .map_err(|_| io::Error::other("progress output poisoned"))?
            .push_str(s);
        Ok(())
    }
}

impl TermLike for PythonStderr {
    fn width(&self) -> u16 {
        100
    }

    fn move_cursor_up(&self, _: usize) -> io::Result<()> {
        Ok(())
    }

    fn move_cursor_down(&self, _: usize) -> io::Result<()> {
        Ok(())
    }

    fn move_cursor_right(&self, _: usize) -> io::Result<()> {
        Ok(())
    }

    fn move_cursor_left(&self, _: usize) -> io::Result<()> {
        Ok(())
    }

    fn write_line(&self, s: &str) -> io::Result<()> {
        self.push(s)?;
        self.push("\n")
    }

    fn write_str(&self, s: &str) -> io::Result<()> {
        self.push(s)
    }

    fn clear_line(&self) -> io::Result<()> {
        self.push("\r")
    }

    fn flush(&self) -> io::Result<()> {
        let text = std::mem::take(
            &mut *self
                .pending
                .lock()
                .map_err(|_| io::Error::other("progress output poisoned"))?,
        );
        if text.is_empty() {
            return Ok(());
        }
        Python::attach(|py| -> PyResult<()> {
            let stderr = py.import("sys")?.getattr("stderr")?;
            stderr.call_method1("write", (text,))?;
            stderr.call_method0("flush")?;
            Ok(())
        })
        .map_err(|e| io::Error::other(e.to_string()))
    }
}

/// While alive, the CLI's visible bars draw on `sys.stderr`; dropped, on the terminal again.
pub(crate) struct OnPythonStderr;

impl OnPythonStderr {
    pub(crate) fn install() -> Self {
        seqrisk_native::progress::set_draw_target(Some(Box::new(|| {
            ProgressDrawTarget::term_like(Box::new(PythonStderr::default()))
        })));
        Self
    }
}

impl Drop for OnPythonStderr {
    fn drop(&mut self) {
        seqrisk_native::progress::set_draw_target(None);
    }
}
