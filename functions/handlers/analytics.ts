/**
 * Analytics Lambda: EventBridge events of the import bus (source fzip-import) -> when the event
 * means the user's transactions may have changed (an import completed with writes, undone,
 * rolled back after writing, or a rebuild asked for), the user's analytics are recomputed: the
 * months the import touched when that is enough (analytics/rebuild.ts), otherwise everything.
 * At-least-once delivery is fine: a rebuild recomputes from the data.
 */
import type { Context } from 'aws-lambda';
import { changesData, rebuildAnalytics, touchedMonths } from '../analytics/rebuild';
import { EntityStore } from '../entities/entity-store';
import { entityTableNamesFromEnv } from '../entities/entity-tables';
import { documentClient } from '../shared/aws-clients';
import { Logger } from '../shared/logger';
import { analyticsStoreFromEnv } from '../shared/stores';

export interface BusEventInput {
  source?: string;
  'detail-type'?: string;
  detail?: Record<string, unknown>;
}

const logger = new Logger('fzip-analytics');

export async function handler(event: BusEventInput, context?: Context): Promise<{ rebuilt: boolean }> {
  logger.withLambdaContext(context);
  const detail = event.detail ?? {};
  const userId = typeof detail.userId === 'string' ? detail.userId : undefined;
  const analytics = analyticsStoreFromEnv();
  if (!userId || !analytics || !changesData(event['detail-type'] ?? '', detail)) return { rebuilt: false };
  const log = logger.child({ userId, importId: detail.importId });
  const detailType = event['detail-type'] ?? '';
  await rebuildAnalytics(userId, { entities: new EntityStore(documentClient(), entityTableNamesFromEnv()), analytics, logger: log }, touchedMonths(detailType, detail));
  return { rebuilt: true };
}
