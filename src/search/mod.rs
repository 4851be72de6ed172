//! Candidate selection ([`topk`]) and exact re-scoring ([`rescore`]).

pub mod rescore;
pub mod topk;
