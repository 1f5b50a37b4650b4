//! One entry function per subcommand.

pub mod sync;
pub mod token;
