-- Up Migration

-- Entities gain the type `animal` (issue 19: "a beagle called Rex" is neither a person nor a product;
-- src/entities/types.ts). The type check is replaced by one that admits it; existing rows all pass.
--
-- One statement a string, and one subcommand an ALTER: on Citus the coordinator forwards a DDL
-- statement's text to the workers, refuses a text holding two statements, and refuses ADD CONSTRAINT
-- beside another subcommand.
DO $$
BEGIN
  EXECUTE 'ALTER TABLE entities DROP CONSTRAINT entities_type_check';
  EXECUTE $sql$ALTER TABLE entities ADD CONSTRAINT entities_type_check CHECK (type IN ('person', 'organization', 'place', 'date', 'money', 'quantity', 'email', 'url', 'event', 'product', 'animal'))$sql$;
END $$;

-- Down Migration

DELETE FROM entities WHERE type = 'animal';
DO $$
BEGIN
  EXECUTE 'ALTER TABLE entities DROP CONSTRAINT entities_type_check';
  EXECUTE $sql$ALTER TABLE entities ADD CONSTRAINT entities_type_check CHECK (type IN ('person', 'organization', 'place', 'date', 'money', 'quantity', 'email', 'url', 'event', 'product'))$sql$;
END $$;
