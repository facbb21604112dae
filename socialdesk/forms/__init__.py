"""Forms: data-defined, bilingual, versioned form definitions (assessments, intake, returns)."""
