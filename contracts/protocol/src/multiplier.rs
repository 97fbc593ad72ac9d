//! The MRC40 power multiplier (placeholder signature; the implementation lands with its tests).
