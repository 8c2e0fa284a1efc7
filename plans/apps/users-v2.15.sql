-- App v2.15: reads and writes only email_verified.
SELECT id, email, name, email_verified AS verified
FROM users
WHERE id = $1;

SELECT id, email FROM users
WHERE email_verified
ORDER BY created_at DESC
LIMIT 50;

INSERT INTO users (email, name, email_verified)
VALUES ($1, $2, false)
RETURNING id;

UPDATE users SET email_verified = true WHERE id = $1 AND NOT email_verified;
