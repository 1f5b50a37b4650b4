//! One entry function per subcommand.

pub mod token;
