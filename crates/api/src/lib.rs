//! # yellowstone-api
//!
//! The router's wire contract, defined once: every `/v1` request and answer body, the
//! refusal codes and their `{code, message}` body, and the OpenAI error body the gateway and
//! the user proxy answer with. The router serialises these types, the client deserialises
//! them, and a test checks `docs/openapi.yaml` against them, so renaming a field fails to
//! compile instead of failing at run time.
//!
//! Depends on serde and the protocol's message types only: no runtime, no database, no chain.
//!
//! | module | what |
//! |---|---|
//! | [`error`] | the router's refusals ([`ApiError`]) and their body |
//! | [`gateway`] | the provider gateway's `/health` answer ([`GatewayHealth`]), signed liveness included |
//! | [`openai`] | the OpenAI error body (`{"error": {"message", "type", "code"}}`) |
//! | [`v1`] | the bodies of `/health` and the `/v1` routes, one type per answer |
//! | [`verdict`] | a report's judgement ([`Verdict`], [`Refusal`]) |
//! | [`provider`] | a provider's on-chain record, score and back-off |
//! | [`stream`] | a streamed chat completion: the token tally both sides sign, and the whole answer assembled |

pub mod error;
pub mod gateway;
pub mod openai;
pub mod provider;
pub mod stream;
pub mod v1;
pub mod verdict;

pub use error::{ApiError, ErrorBody};
pub use gateway::GatewayHealth;
pub use provider::{Backoff, ProviderRecord, Score};
pub use verdict::{Refusal, Verdict};
