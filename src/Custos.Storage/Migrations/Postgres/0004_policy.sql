-- Custos schema v4 (PostgreSQL): the policy engine's inputs (resource inventory, roles, trait-to-role mappings) and a
-- one-row policy version that every write to them increases in the same transaction, so instances notice changes.
-- Times are microseconds since the Unix epoch (UTC). database_names is a JSON array and labels a JSON object, as text.
CREATE TABLE resources (
    name                 text NOT NULL PRIMARY KEY,
    kind                 text NOT NULL,
    address              text NOT NULL,
    port                 integer NOT NULL,
    database_names       text NOT NULL,
    host_key_fingerprint text,
    trust_host_ca        boolean NOT NULL,
    url                  text,
    labels               text NOT NULL,
    revision             bigint NOT NULL,
    created_at_us        bigint NOT NULL,
    updated_at_us        bigint NOT NULL
);

CREATE TABLE roles (
    name          text NOT NULL PRIMARY KEY,
    yaml          text NOT NULL,
    revision      bigint NOT NULL,
    updated_at_us bigint NOT NULL,
    updated_by    text NOT NULL
);

CREATE TABLE role_mappings (
    trait_key   text NOT NULL,
    trait_value text NOT NULL,
    role        text NOT NULL,
    PRIMARY KEY (trait_key, trait_value, role)
);

CREATE TABLE policy_version (
    id      integer PRIMARY KEY CHECK (id = 1),
    version bigint NOT NULL
);
INSERT INTO policy_version (id, version) VALUES (1, 0);
