/** A mocked DynamoDB document client, and the { doc, tableName } that the record and API functions take. */
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** every DynamoDBDocumentClient of the test file answers from this mock (reset it in beforeEach) */
export const docMock = mockClient(DynamoDBDocumentClient);
export const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
export const deps = { doc, tableName: 'records' };
