//! Named counters: one definition gives a struct of `u64` fields, the list of their names and a
//! lookup by name, so scenario expectations (`end sw1.flooded == 3`) and views read the same
//! counters the code increments, and a misspelt name is caught with the list of valid ones.

/// Declares a counters struct: `counters! { /// doc \n pub struct Name { /// doc \n field, … } }`.
#[macro_export]
macro_rules! counters {
    ($(#[$meta:meta])* pub struct $name:ident { $($(#[$fmeta:meta])* $field:ident),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
        pub struct $name {
            $($(#[$fmeta])* pub $field: u64,)*
        }

        impl $name {
            /// Every counter's name, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($field)),*];

            /// Counter values with their names, in declaration order.
            pub fn list(&self) -> Vec<(&'static str, u64)> {
                vec![$((stringify!($field), self.$field)),*]
            }

            /// The value of the counter called `name`.
            pub fn get(&self, name: &str) -> Option<u64> {
                match name {
                    $(stringify!($field) => Some(self.$field),)*
                    _ => None,
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    counters! {
        /// Example.
        pub struct Example {
            /// First.
            a,
            b,
        }
    }

    #[test]
    fn names_list_and_get_agree() {
        let e = Example { a: 1, b: 2 };
        assert_eq!(Example::NAMES, &["a", "b"]);
        assert_eq!(e.list(), vec![("a", 1), ("b", 2)]);
        assert_eq!(e.get("b"), Some(2));
        assert_eq!(e.get("c"), None);
    }
}
