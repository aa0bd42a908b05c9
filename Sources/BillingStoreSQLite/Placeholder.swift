// BillingStoreSQLite
