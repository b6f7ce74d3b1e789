//! SBOM
