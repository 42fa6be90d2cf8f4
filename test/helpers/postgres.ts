/** The fleet tests' private PostgreSQL cluster (shared with the fleet bench). */
export * from '../../bench/support/postgres';
