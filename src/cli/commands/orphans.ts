// rbd-ts orphans ls [POOL[/NAMESPACE]] [--older-than SECONDS] [--format json]
// rbd-ts orphans rm [POOL[/NAMESPACE]] [--older-than SECONDS] [--dry-run]
// What no image owns (RBD.listOrphans / removeOrphans): an rbd-ts addition, `rbd` has no such
// scan. Plain text is a table as `rbd ls -l` lays one out; JSON uses rbd's snake_case keys.

import type { Orphan, SkippedOrphan } from '../../rbd/orphans.js';
import { RBD } from '../../rbd/rbd.js';
import { failed, formatTable, printJson } from '../output.js';
import { formatSpec, parseUnsigned, resolvePoolSpec } from '../spec.js';
import { openPool, type CommandContext } from './common.js';

/** --older-than SECONDS as the scan's minAgeMs (undefined: the default, 60 s). */
function minAge(ctx: CommandContext): { minAgeMs?: number } {
  const s = ctx.opt('older-than');
  return s === undefined ? {} : { minAgeMs: parseUnsigned(s, 'older-than') * 1000 };
}

function orphanJson(o: Orphan | SkippedOrphan): Record<string, unknown> {
  return {
    kind: o.kind,
    id: o.id,
    ...(o.name !== undefined ? { name: o.name } : {}),
    ...(o.parent
      ? { parent: { pool_id: o.parent.poolId, pool_namespace: o.parent.poolNamespace, image_id: o.parent.imageId, snap_id: Number(o.parent.snapId) } }
      : {}),
    ...(o.cloneFormat !== undefined ? { clone_format: o.cloneFormat } : {}),
    ...(o.child ? { child: { pool_id: o.child.poolId, pool_namespace: o.child.poolNamespace } } : {}),
    objects: o.objects,
    mtime: o.mtime.toISOString(),
    detail: o.detail,
    ...('reason' in o ? { reason: o.reason } : {}),
  };
}

const ageText = (o: Orphan) => `${Math.max(0, Math.round((Date.now() - o.mtime.getTime()) / 1000))}s`;

async function poolIo(ctx: CommandContext) {
  const { pool, namespace } = resolvePoolSpec(ctx.opt, ctx.positional, { index: 0 });
  return openPool(ctx, pool, namespace);
}

export async function orphansListCommand(ctx: CommandContext): Promise<void> {
  const io = await poolIo(ctx);
  let found: Orphan[];
  try {
    found = await RBD.listOrphans(io, minAge(ctx));
  } catch (e) {
    throw failed('scanning for orphans failed', e);
  }
  if (ctx.format === 'json') {
    printJson(found.map(orphanJson), ctx.pretty);
    return;
  }
  if (!found.length) return;
  process.stdout.write(
    formatTable(
      [
        { header: 'KIND' },
        { header: 'ID' },
        { header: 'NAME' },
        { header: 'OBJECTS', align: 'right' },
        { header: 'AGE', align: 'right' },
        { header: 'DETAIL' },
      ],
      found.map((o) => [o.kind, o.id, o.name ?? '', String(o.objects.length), ageText(o), o.detail]),
    ),
  );
}

export async function orphansRemoveCommand(ctx: CommandContext): Promise<void> {
  const io = await poolIo(ctx);
  const dryRun = ctx.flag('dry-run');
  let r;
  try {
    r = await RBD.removeOrphans(io, { ...minAge(ctx), dryRun });
  } catch (e) {
    throw failed('removing orphans failed', e);
  }
  if (ctx.format === 'json') {
    printJson({ dry_run: dryRun, removed: r.removed.map(orphanJson), skipped: r.skipped.map(orphanJson) }, ctx.pretty);
    return;
  }
  const what = (o: Orphan) =>
    `${o.kind} ${o.name !== undefined ? `${o.name} (id ${o.id})` : o.id}${o.parent && o.kind === 'child' ? ` on ${formatSpec(io.cluster.poolName(o.parent.poolId) ?? String(o.parent.poolId), o.parent.poolNamespace, o.parent.imageId)}@${o.parent.snapId}` : ''}`;
  const lines = [
    ...r.removed.map((o) => `${dryRun ? 'would remove' : 'removed'} ${what(o)}: ${o.detail}`),
    ...r.skipped.map((o) => `skipped ${what(o)}: ${o.reason}`),
    `${dryRun ? 'would remove' : 'removed'} ${r.removed.length} orphan(s), skipped ${r.skipped.length}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}
