// BillingStorePostgres
