-- 3: reference profiles (govern baseline) and per-source-file partial aggregates, so that a
-- re-scan reads only files it has not counted before against the same profile.
CREATE TABLE profiles (
    profile_id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    version VARCHAR NOT NULL,
    digest VARCHAR NOT NULL,
    rows BIGINT NOT NULL,
    sources JSON NOT NULL,
    profile JSON NOT NULL,
    engine_version VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX profiles_by_version ON profiles (name, version);
CREATE TABLE scan_partials (
    config VARCHAR NOT NULL,      -- hash of the profile digest, column mapping and time window
    path VARCHAR NOT NULL,        -- absolute path of the source file
    size BIGINT NOT NULL,
    mtime DOUBLE NOT NULL,
    engine_version VARCHAR NOT NULL,
    rows BIGINT NOT NULL,         -- rows counted from this file (inside the window)
    state JSON NOT NULL,          -- the accumulator's partial counts
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (config, path, size, mtime, engine_version)
);
