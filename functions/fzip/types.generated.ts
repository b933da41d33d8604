/* Generated from functions/fzip/schemas by `npm run gen:types`. Do not edit. */

/**
 * A field this version does not know: kept as it is, reported as a warning.
 * 
 * @maxItems 1000
 */
export type ExtraField = (string | number | boolean | null | {
[k: string]: unknown
} | unknown[])

export interface FzipCommonDefinitions {
/**
 * Lower-case hyphenated UUID, as str(uuid) writes it.
 */
uuid?: string
/**
 * Timestamp as integer milliseconds since 1970-01-01T00:00:00Z (years 0001 to 9999).
 */
epochMs?: number
/**
 * Decimal amount, kept exactly as written. A decimal string (str(Decimal), exponent form allowed) or a JSON number (read losslessly).
 */
money?: (string | number)
currency?: ("USD" | "EUR" | "GBP" | "CAD" | "JPY" | "AUD" | "CHF" | "CNY" | "other")
/**
 * The exporting user's id. Informational: the importing user always owns imported data.
 */
sourceUserId?: string
decoration?: Decoration
/**
 * Human-readable copy of a timestamp written by the exporter: accepted and dropped on import.
 */
formattedDate?: string
extraField?: ExtraField
fieldName?: string
}
/**
 * Export-only decoration (exportMetadata, computedFields, ...): accepted and dropped on import.
 */
export interface Decoration {
[k: string]: unknown
}

/**
 * manifest.json: what the package holds and who wrote it. Era A/B exporters wrote export* names; they are read as aliases of the backup* names.
 */
export type FzipManifest = ({
[k: string]: unknown
} & {
backupFormatVersion?: string
exportFormatVersion?: string
backupTimestamp?: string
exportTimestamp?: string
/**
 * The exporting user's id. Informational: the importing user always owns imported data.
 */
userId?: string
housef3Version?: string
packageFormat?: ("fzip" | "json")
dataSummary?: {
accountsCount?: number
transactionsCount?: number
categoriesCount?: number
fileMapsCount?: number
transactionFilesCount?: number
analyticsIncluded?: boolean
[k: string]: ExtraField | number | boolean | undefined
}
/**
 * Zip entry name -> sha256:<hex> of the entry's bytes as stored (before any gunzip).
 */
checksums?: {
[k: string]: string
}
compatibility?: {
minimumVersion?: string
/**
 * @maxItems 100
 */
supportedVersions?: string[]
[k: string]: ExtraField | string | string[] | undefined
}
jobId?: string
exportId?: string
backupType?: string
exportType?: string
includeAnalytics?: boolean
description?: string
/**
 * A selective package (backupType selective): what its transactions were selected by. All given filters hold for each transaction; a replace import of the package replaces only inside this selection.
 */
selection?: {
/**
 * @minItems 1
 * @maxItems 1000
 * 
 * Items: Lower-case hyphenated UUID, as str(uuid) writes it.
 */
accountIds?: [string, ...(string)[]]
/**
 * @minItems 1
 * @maxItems 1000
 * 
 * Items: Lower-case hyphenated UUID, as str(uuid) writes it.
 */
categoryIds?: [string, ...(string)[]]
/**
 * First day (UTC), inclusive.
 */
dateRangeStart?: string
/**
 * Last day (UTC), inclusive.
 */
dateRangeEnd?: string
[k: string]: ExtraField | [string, ...(string)[]] | string | undefined
}
[k: string]: ExtraField | string | "fzip" | "json" | {
accountsCount?: number
transactionsCount?: number
categoriesCount?: number
fileMapsCount?: number
transactionFilesCount?: number
analyticsIncluded?: boolean
[k: string]: ExtraField | number | boolean | undefined
} | {
[k: string]: string
} | {
minimumVersion?: string
/**
 * @maxItems 100
 */
supportedVersions?: string[]
[k: string]: ExtraField | string | string[] | undefined
} | boolean | {
/**
 * @minItems 1
 * @maxItems 1000
 * 
 * Items: Lower-case hyphenated UUID, as str(uuid) writes it.
 */
accountIds?: [string, ...(string)[]]
/**
 * @minItems 1
 * @maxItems 1000
 * 
 * Items: Lower-case hyphenated UUID, as str(uuid) writes it.
 */
categoryIds?: [string, ...(string)[]]
/**
 * First day (UTC), inclusive.
 */
dateRangeStart?: string
/**
 * Last day (UTC), inclusive.
 */
dateRangeEnd?: string
[k: string]: ExtraField | [string, ...(string)[]] | string | undefined
} | undefined
})

/**
 * One element of data/accounts.json(.gz).
 */
export interface FzipAccount {
/**
 * Lower-case hyphenated UUID, as str(uuid) writes it.
 */
accountId: string
/**
 * The exporting user's id. Informational: the importing user always owns imported data.
 */
userId?: string
accountName: string
accountType: ("checking" | "savings" | "credit_card" | "investment" | "loan" | "other")
institution?: string
/**
 * Decimal amount, kept exactly as written. A decimal string (str(Decimal), exponent form allowed) or a JSON number (read losslessly).
 */
balance?: (string | number)
currency?: ("USD" | "EUR" | "GBP" | "CAD" | "JPY" | "AUD" | "CHF" | "CNY" | "other")
notes?: string
isActive?: boolean
/**
 * Lower-case hyphenated UUID, as str(uuid) writes it.
 */
defaultFileMapId?: string
/**
 * Timestamp as integer milliseconds since 1970-01-01T00:00:00Z (years 0001 to 9999).
 */
firstTransactionDate?: number
/**
 * Timestamp as integer milliseconds since 1970-01-01T00:00:00Z (years 0001 to 9999).
 */
lastTransactionDate?: number
/**
 * Timestamp as integer milliseconds since 1970-01-01T00:00:00Z (years 0001 to 9999).
 */
importsStartDate?: number
/**
 * Timestamp as integer milliseconds since 1970-01-01T00:00:00Z (years 0001 to 9999).
 */
importsEndDate?: number
/**
 * Timestamp as integer milliseconds since 1970-01-01T00:00:00Z (years 0001 to 9999).
 */
createdAt?: number
/**
 * Timestamp as integer milliseconds since 1970-01-01T00:00:00Z (years 0001 to 9999).
 */
updatedAt?: number
exportMetadata?: Decoration
computedFields?: Decoration
[k: string]: ExtraField | string | "checking" | "savings" | "credit_card" | "investment" | "loan" | "other" | number | "USD" | "EUR" | "GBP" | "CAD" | "JPY" | "AUD" | "CHF" | "CNY" | boolean | Decoration | undefined
}

/**
 * One element of data/transactions.json(.gz).
 */
export interface FzipTransaction {
/**
 * Lower-case hyphenated UUID, as str(uuid) writes it.
 */
transactionId: string
/**
 * The exporting user's id. Informational: the importing user always owns imported data.
 */
userId?: string
/**
 * Lower-case hyphenated UUID, as str(uuid) writes it.
 */
accountId: string
/**
 * Lower-case hyphenated UUID, as str(uuid) writes it.
 */
fileId?: string
/**
 * Timestamp as integer milliseconds since 1970-01-01T00:00:00Z (years 0001 to 9999).
 */
date: number
description: string
/**
 * Decimal amount, kept exactly as written. A decimal string (str(Decimal), exponent form allowed) or a JSON number (read losslessly).
 */
amount: (string | number)
currency?: ("USD" | "EUR" | "GBP" | "CAD" | "JPY" | "AUD" | "CHF" | "CNY" | "other")
/**
 * Decimal amount, kept exactly as written. A decimal string (str(Decimal), exponent form allowed) or a JSON number (read losslessly).
 */
balance?: (string | number)
importOrder?: number
transactionType?: string
memo?: string
checkNumber?: string
fitId?: string
status?: string
statusDate?: string
/**
 * Unsigned 64-bit integer; read losslessly and kept as a digit string.
 */
transactionHash?: (number | string)
/**
 * @maxItems 50
 */
categories?: {
/**
 * Lower-case hyphenated UUID, as str(uuid) writes it.
 */
categoryId: string
confidence?: number
status?: ("suggested" | "confirmed")
isManual?: boolean
/**
 * Timestamp as integer milliseconds since 1970-01-01T00:00:00Z (years 0001 to 9999).
 */
assignedAt?: number
/**
 * Timestamp as integer milliseconds since 1970-01-01T00:00:00Z (years 0001 to 9999).
 */
confirmedAt?: number
ruleId?: (string | null)
[k: string]: ExtraField | string | number | "suggested" | "confirmed" | boolean | null | undefined
}[]
/**
 * Lower-case hyphenated UUID, as str(uuid) writes it.
 */
primaryCategoryId?: string
/**
 * Timestamp as integer milliseconds since 1970-01-01T00:00:00Z (years 0001 to 9999).
 */
createdAt?: number
/**
 * Timestamp as integer milliseconds since 1970-01-01T00:00:00Z (years 0001 to 9999).
 */
updatedAt?: number
/**
 * Human-readable copy of a timestamp written by the exporter: accepted and dropped on import.
 */
dateFormatted?: string
/**
 * Exporter's duplicate of categories: accepted and dropped.
 * 
 * @maxItems 50
 */
categoryAssignments?: Decoration[]
exportMetadata?: Decoration
computedFields?: Decoration
[k: string]: ExtraField | string | number | "USD" | "EUR" | "GBP" | "CAD" | "JPY" | "AUD" | "CHF" | "CNY" | "other" | {
/**
 * Lower-case hyphenated UUID, as str(uuid) writes it.
 */
categoryId: string
confidence?: number
status?: ("suggested" | "confirmed")
isManual?: boolean
/**
 * Timestamp as integer milliseconds since 1970-01-01T00:00:00Z (years 0001 to 9999).
 */
assignedAt?: number
/**
 * Timestamp as integer milliseconds since 1970-01-01T00:00:00Z (years 0001 to 9999).
 */
confirmedAt?: number
ruleId?: (string | null)
[k: string]: ExtraField | string | number | "suggested" | "confirmed" | boolean | null | undefined
}[] | Decoration[] | Decoration | undefined
}

/**
 * One element of data/categories.json(.gz). The hierarchy is given by parentCategoryId only.
 */
export interface FzipCategory {
/**
 * Lower-case hyphenated UUID, as str(uuid) writes it.
 */
categoryId: string
/**
 * The exporting user's id. Informational: the importing user always owns imported data.
 */
userId?: string
name: string
type: ("INCOME" | "EXPENSE" | "TRANSFER")
/**
 * Lower-case hyphenated UUID, as str(uuid) writes it.
 */
parentCategoryId?: string
icon?: string
color?: string
/**
 * @maxItems 500
 */
rules?: {
ruleId: string
fieldToMatch?: string
condition: ("contains" | "starts_with" | "ends_with" | "equals" | "regex" | "amount_greater" | "amount_less" | "amount_between")
value: string
caseSensitive?: boolean
priority?: number
enabled?: boolean
confidence?: number
/**
 * Decimal amount, kept exactly as written. A decimal string (str(Decimal), exponent form allowed) or a JSON number (read losslessly).
 */
amountMin?: (string | number)
/**
 * Decimal amount, kept exactly as written. A decimal string (str(Decimal), exponent form allowed) or a JSON number (read losslessly).
 */
amountMax?: (string | number)
allowMultipleMatches?: boolean
autoSuggest?: boolean
[k: string]: ExtraField | string | "contains" | "starts_with" | "ends_with" | "equals" | "regex" | "amount_greater" | "amount_less" | "amount_between" | boolean | number | undefined
}[]
inheritParentRules?: boolean
ruleInheritanceMode?: ("additive" | "override" | "disabled")
/**
 * Timestamp as integer milliseconds since 1970-01-01T00:00:00Z (years 0001 to 9999).
 */
createdAt?: number
/**
 * Timestamp as integer milliseconds since 1970-01-01T00:00:00Z (years 0001 to 9999).
 */
updatedAt?: number
exportMetadata?: Decoration
hierarchyInfo?: Decoration
computedFields?: Decoration
[k: string]: ExtraField | string | "INCOME" | "EXPENSE" | "TRANSFER" | {
ruleId: string
fieldToMatch?: string
condition: ("contains" | "starts_with" | "ends_with" | "equals" | "regex" | "amount_greater" | "amount_less" | "amount_between")
value: string
caseSensitive?: boolean
priority?: number
enabled?: boolean
confidence?: number
/**
 * Decimal amount, kept exactly as written. A decimal string (str(Decimal), exponent form allowed) or a JSON number (read losslessly).
 */
amountMin?: (string | number)
/**
 * Decimal amount, kept exactly as written. A decimal string (str(Decimal), exponent form allowed) or a JSON number (read losslessly).
 */
amountMax?: (string | number)
allowMultipleMatches?: boolean
autoSuggest?: boolean
[k: string]: ExtraField | string | "contains" | "starts_with" | "ends_with" | "equals" | "regex" | "amount_greater" | "amount_less" | "amount_between" | boolean | number | undefined
}[] | boolean | "additive" | "override" | "disabled" | number | Decoration | undefined
}

/**
 * One element of data/file_maps.json(.gz): how a bank's CSV columns map to transaction fields.
 */
export interface FzipFileMap {
/**
 * Lower-case hyphenated UUID, as str(uuid) writes it.
 */
fileMapId: string
/**
 * The exporting user's id. Informational: the importing user always owns imported data.
 */
userId?: string
name: string
/**
 * @minItems 1
 * @maxItems 200
 */
mappings: [{
sourceField: string
targetField: string
transformation?: string
validationInfo?: Decoration
[k: string]: ExtraField | string | Decoration | undefined
}, ...({
sourceField: string
targetField: string
transformation?: string
validationInfo?: Decoration
[k: string]: ExtraField | string | Decoration | undefined
})[]]
/**
 * Lower-case hyphenated UUID, as str(uuid) writes it.
 */
accountId?: string
description?: string
reverseAmounts?: boolean
/**
 * Timestamp as integer milliseconds since 1970-01-01T00:00:00Z (years 0001 to 9999).
 */
createdAt?: number
/**
 * Timestamp as integer milliseconds since 1970-01-01T00:00:00Z (years 0001 to 9999).
 */
updatedAt?: number
exportMetadata?: Decoration
computedFields?: Decoration
[k: string]: ExtraField | string | [{
sourceField: string
targetField: string
transformation?: string
validationInfo?: Decoration
[k: string]: ExtraField | string | Decoration | undefined
}, ...({
sourceField: string
targetField: string
transformation?: string
validationInfo?: Decoration
[k: string]: ExtraField | string | Decoration | undefined
})[]] | boolean | number | Decoration | undefined
}

/**
 * One element of data/transaction_files.json(.gz): an uploaded bank statement. Its bytes are the zip entry files/{fileId}/{fileName}.
 */
export interface FzipTransactionFile {
/**
 * Lower-case hyphenated UUID, as str(uuid) writes it.
 */
fileId: string
/**
 * The exporting user's id. Informational: the importing user always owns imported data.
 */
userId?: string
fileName: string
/**
 * Timestamp as integer milliseconds since 1970-01-01T00:00:00Z (years 0001 to 9999).
 */
uploadDate?: number
fileSize?: number
s3Key?: string
processingStatus?: ("pending" | "processing" | "processed" | "error" | "needs_mapping")
/**
 * Timestamp as integer milliseconds since 1970-01-01T00:00:00Z (years 0001 to 9999).
 */
processedDate?: number
fileFormat?: ("csv" | "ofx" | "qfx" | "qif" | "pdf" | "xlsx" | "other" | "json" | "excel")
/**
 * Lower-case hyphenated UUID, as str(uuid) writes it.
 */
accountId?: string
/**
 * Lower-case hyphenated UUID, as str(uuid) writes it.
 */
fileMapId?: string
recordCount?: number
duplicateCount?: number
transactionCount?: number
dateRange?: {
/**
 * Timestamp as integer milliseconds since 1970-01-01T00:00:00Z (years 0001 to 9999).
 */
startDate?: number
/**
 * Timestamp as integer milliseconds since 1970-01-01T00:00:00Z (years 0001 to 9999).
 */
endDate?: number
}
errorMessage?: string
/**
 * Decimal amount, kept exactly as written. A decimal string (str(Decimal), exponent form allowed) or a JSON number (read losslessly).
 */
openingBalance?: (string | number)
/**
 * Decimal amount, kept exactly as written. A decimal string (str(Decimal), exponent form allowed) or a JSON number (read losslessly).
 */
closingBalance?: (string | number)
currency?: ("USD" | "EUR" | "GBP" | "CAD" | "JPY" | "AUD" | "CHF" | "CNY" | "other")
/**
 * Timestamp as integer milliseconds since 1970-01-01T00:00:00Z (years 0001 to 9999).
 */
createdAt?: number
/**
 * Timestamp as integer milliseconds since 1970-01-01T00:00:00Z (years 0001 to 9999).
 */
updatedAt?: number
/**
 * Human-readable copy of a timestamp written by the exporter: accepted and dropped on import.
 */
uploadDateFormatted?: string
/**
 * Human-readable copy of a timestamp written by the exporter: accepted and dropped on import.
 */
processedDateFormatted?: string
fileStatusInfo?: Decoration
exportMetadata?: Decoration
computedFields?: Decoration
[k: string]: ExtraField | string | number | "pending" | "processing" | "processed" | "error" | "needs_mapping" | "csv" | "ofx" | "qfx" | "qif" | "pdf" | "xlsx" | "other" | "json" | "excel" | {
/**
 * Timestamp as integer milliseconds since 1970-01-01T00:00:00Z (years 0001 to 9999).
 */
startDate?: number
/**
 * Timestamp as integer milliseconds since 1970-01-01T00:00:00Z (years 0001 to 9999).
 */
endDate?: number
} | "USD" | "EUR" | "GBP" | "CAD" | "JPY" | "AUD" | "CHF" | "CNY" | Decoration | undefined
}
