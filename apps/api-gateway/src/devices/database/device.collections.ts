/** Where the device registry lives (see device.schema.ts). No imports: the bench and tests read these too. */
export const DEVICE_RECORDS_COLLECTION = 'device_records';
export const DEVICE_NAMES_COLLECTION = 'device_names';
export const DEVICE_TAGS_COLLECTION = 'device_tags';
