'use strict';

/**
 * Local Serverless (osls) plugin: the records' retention, the stage param RecordRetentionSeconds (default in
 * lib/settings.json: 90 days), checked at package time (a whole number of seconds ≥ 0, else one line naming it).
 * 0 keeps the records: the functions write no expiresAt (lib/records.ts expiresAtField) and the table's TTL is
 * turned off, so that a record a state machine still stamps is not deleted either.
 */
const { templatePlugin } = require('./template-plugin.cjs');

/** @param {unknown} value */
function parseRetention(value) {
  const text = String(value).trim();
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new Error(
      `RecordRetentionSeconds must be a whole number of seconds ≥ 0 (0 keeps records), e.g. --param="RecordRetentionSeconds=31536000", not ${JSON.stringify(value)}`,
    );
  }
  return Number(text);
}

function applyRetention(template, seconds) {
  const table = template.Resources.RecordsTable;
  if (!table?.Properties.TimeToLiveSpecification) throw new Error('RecordsTable has no TimeToLiveSpecification to adjust');
  if (seconds === 0) table.Properties.TimeToLiveSpecification.Enabled = false;
}

module.exports = templatePlugin({ customKey: 'recordRetentionSeconds', parse: parseRetention, addToTemplate: applyRetention, errorCode: 'RECORD_RETENTION' });
module.exports.parseRetention = parseRetention;
