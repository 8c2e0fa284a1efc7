-- App v2.14: writes email_verified alongside verification_date; still reads verification_date.
SELECT id, email, name, verification_date IS NOT NULL AS verified
FROM users
WHERE id = :id;

SELECT id, email FROM users
WHERE verification_date > now() - interval '30 days'
ORDER BY created_at DESC
LIMIT 50;

INSERT INTO users (email, name, email_verified, verification_date)
VALUES (:email, :name, false, NULL)
RETURNING id;

UPDATE users
SET verification_date = now(), email_verified = true
WHERE id = :id AND verification_date IS NULL;
