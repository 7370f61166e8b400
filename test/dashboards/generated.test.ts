/** The committed dashboards and provisioning files: fresh, valid for the pinned Grafana, and wired to the fixed data source. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  DASHBOARD_UIDS,
  DATASOURCE_TYPE,
  DATASOURCE_UID,
  GRAFANA_IMAGE,
  SUPPORTED_SCHEMA_VERSION,
  PROMETHEUS_DATASOURCE_UID,
} from '../../dashboards/datasource';
import { allDashboards, renderGeneratedFiles } from '../../dashboards/render';
import { projectRoot } from '../../cli/dev/temporal';

const files = renderGeneratedFiles();
const fixed = { type: DATASOURCE_TYPE, uid: DATASOURCE_UID };

describe('generated dashboards', () => {
  it('are committed exactly as `npm run dashboards` renders them', () => {
    for (const [path, content] of files) {
      const committed = existsSync(join(projectRoot, path)) ? readFileSync(join(projectRoot, path), 'utf8') : undefined;
      expect(
        committed === content,
        `${path} is stale or missing: run \`npm run dashboards\` and commit the result`,
      ).toBe(true);
    }
    const extra = readdirSync(join(projectRoot, 'dashboards/generated')).filter(
      (f) => !files.has(`dashboards/generated/${f}`),
    );
    expect(extra, 'dashboards/generated holds files no builder renders: run `npm run dashboards`').toEqual([]);
  });

  it('carry the fixed uids other parts link to', () => {
    expect(allDashboards().map((d) => d.uid)).toEqual(Object.values(DASHBOARD_UIDS));
  });

  it('use a schemaVersion the pinned Grafana supports', () => {
    const supported = SUPPORTED_SCHEMA_VERSION[GRAFANA_IMAGE];
    expect(supported, `no known schemaVersion for ${GRAFANA_IMAGE}: add it to SUPPORTED_SCHEMA_VERSION`).toBeDefined();
    for (const d of allDashboards()) {
      expect(
        d.schemaVersion,
        `${d.uid}: schemaVersion ${d.schemaVersion} is newer than ${GRAFANA_IMAGE} knows`,
      ).toBeLessThanOrEqual(supported);
      expect(d.schemaVersion).toBeGreaterThanOrEqual(39);
    }
  });

  it('pin the same Grafana image and mounts as docker-compose.yml', () => {
    const composePath = join(projectRoot, 'docker-compose.yml');
    const compose = parse(readFileSync(composePath, 'utf8')) as {
      services: Record<string, { image?: string; volumes?: string[] }>;
    };
    const grafana = Object.values(compose.services).find((s) => s.image?.startsWith('grafana/'));
    expect(grafana?.image, 'docker-compose.yml must run the Grafana image the dashboards are checked against').toBe(
      GRAFANA_IMAGE,
    );
    const volumes = (grafana?.volumes ?? []).map(String).join('\n');
    expect(volumes).toContain('dashboards/provisioning:/etc/grafana/provisioning');
    expect(volumes).toContain('dashboards/generated:/var/lib/grafana/dashboards');
  });

  it('query only the driftloop PostgreSQL data source (Prometheus for serving RED panels), from every panel, target, annotation and variable', () => {
    for (const d of allDashboards()) {
      const panels = (d.panels ?? []).flatMap((p) => [p, ...((p as dashboard.RowPanel).panels ?? [])]);
      for (const panel of panels) {
        if (panel.type === 'row') continue;
        const p = panel as dashboard.Panel;
        const where = `${d.uid} panel "${p.title}"`;
        expect(p.targets?.length, `${where}: no query`).toBeGreaterThan(0);
        if (p.datasource?.uid === PROMETHEUS_DATASOURCE_UID) {
          // Checked against a real Prometheus in test/scale/prometheus.test.ts.
          expect(d.uid, `${where}: only serving RED panels read Prometheus`).toBe(DASHBOARD_UIDS.serving);
          for (const t of p.targets ?? []) {
            const q = t as unknown as { datasource: unknown; expr: string };
            expect(q.datasource, `${where}: target datasource`).toEqual(p.datasource);
            expect(q.expr.trim().length, `${where}: empty expr`).toBeGreaterThan(0);
          }
          continue;
        }
        expect(p.datasource, `${where}: datasource`).toEqual(fixed);
        for (const t of p.targets ?? []) {
          const q = t as unknown as { datasource: unknown; rawSql: string; format: string };
          expect(q.datasource, `${where}: target datasource`).toEqual(fixed);
          expect(['table', 'time_series'], `${where}: format`).toContain(q.format);
          expect(q.rawSql.trim().length, `${where}: empty rawSql`).toBeGreaterThan(0);
        }
      }
      for (const a of d.annotations?.list ?? []) {
        if (a.builtIn) continue;
        expect(a.datasource, `${d.uid} annotation ${a.name}`).toEqual(fixed);
        expect((a.target as unknown as { datasource: unknown }).datasource).toEqual(fixed);
      }
      for (const v of d.templating?.list ?? []) {
        if (v.type === 'query') expect(v.datasource, `${d.uid} variable ${v.name}`).toEqual(fixed);
      }
    }
  });

  it('give the drift page a $model variable from the models table and link workflows to the Temporal UI', () => {
    const byUid = new Map(allDashboards().map((d) => [d.uid, d]));
    const drift = byUid.get(DASHBOARD_UIDS.modelDrift)!;
    const model = drift.templating?.list?.find((v) => v.name === 'model');
    expect(model?.type).toBe('query');
    expect(String(model?.query)).toMatch(/^SELECT name FROM models\b/);
    for (const uid of [DASHBOARD_UIDS.lifecycle, DASHBOARD_UIDS.modelDrift]) {
      const d = byUid.get(uid)!;
      expect(d.templating?.list?.find((v) => v.name === 'temporalUiUrl')?.type, `${uid}: temporalUiUrl constant`).toBe(
        'constant',
      );
      expect(JSON.stringify(d.panels)).toContain(
        '${temporalUiUrl}/namespaces/default/workflows/${__data.fields.workflow_id}',
      );
    }
    expect(JSON.stringify(byUid.get(DASHBOARD_UIDS.fleet)!.panels)).toContain(
      `/d/${DASHBOARD_UIDS.modelDrift}/model-drift?var-model=\${__data.fields.model}`,
    );
  });

  it('provision the data source under the fixed uid and load the generated folder', () => {
    const ds = parse(files.get('dashboards/provisioning/datasources/driftloop.yaml')!);
    expect(ds.datasources[0]).toMatchObject({ type: DATASOURCE_TYPE, uid: DATASOURCE_UID, url: 'postgres:5432' });
    expect(ds.datasources[0].jsonData.database).toBe('driftloop');
    expect(ds.datasources[1]).toMatchObject({
      type: 'prometheus',
      uid: PROMETHEUS_DATASOURCE_UID,
      url: 'http://prometheus:9090',
    });
    const provider = parse(files.get('dashboards/provisioning/dashboards/driftloop.yaml')!);
    expect(provider.providers[0].options.path).toBe('/var/lib/grafana/dashboards');
  });
});
