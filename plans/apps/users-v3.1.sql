-- App v3.1: reads and writes users.name.
SELECT id, email, name FROM users WHERE id = $1;
SELECT id, email FROM users WHERE name ILIKE $1 ORDER BY name LIMIT 20;
INSERT INTO users (email, name) VALUES ($1, $2) RETURNING id;
UPDATE users SET name = $2 WHERE id = $1;
