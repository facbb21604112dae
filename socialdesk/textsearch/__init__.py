"""Text analysis shared by every search: normalisation, identifiers, romanisation, index keys.

Pure functions, no models. Traditional Chinese first: names are folded to one script with OpenCC
and English names are matched up to Hong Kong romanisation variants. Start from `keys`
(`chinese_name_keys`, `english_name_keys`, `plan_query`) when building or querying an index.
"""
