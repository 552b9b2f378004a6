-- Passwords are NFKC-normalised before hashing (NIST SP 800-63B 5.1.1.2), so the same
-- password typed on keyboards that produce different Unicode forms signs in. Hashes stored
-- before this (0) were made from the raw password: they are checked with the raw password and
-- replaced by a hash of the normalised one at the next successful sign-in (then 1).
ALTER TABLE users ADD COLUMN password_nfkc BIGINT NOT NULL DEFAULT 0;
