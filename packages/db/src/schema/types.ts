import { customType } from 'drizzle-orm/pg-core';

/** 64-bit transaction id (`pg_current_xact_id()`); carried as a decimal string, compared in SQL. */
export const xid8 = customType<{ data: string; driverData: string }>({
  dataType: () => 'xid8',
});

export const tsvector = customType<{ data: string }>({
  dataType: () => 'tsvector',
});
