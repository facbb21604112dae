"""Pages of case management, by sub-domain: people (search, registration, the person's record),
intake, cases (notes, assessments, plans, reviews, closure), referrals, "my work" and
break-the-glass. Thin: parse, call a selector or service, render."""
