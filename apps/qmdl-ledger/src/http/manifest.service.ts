import { Inject, Injectable } from '@nestjs/common';
import { toRayhunterManifest, type QmdlStoreState } from '@ledger/domain';
import type { Ledger } from '@ledger/store';
import { LEDGER } from './tokens';

/**
 * The Rayhunter manifest as the bytes `GET /api/qmdl-manifest` sends. The UI
 * polls it every second from every open tab, and sorting and serialising 1,000
 * entries costs milliseconds: the encoded JSON of the newest state served is
 * kept. Keeping bytes rather than a string matters for memory: express would
 * encode a 250 KB string into a fresh buffer on every request, and under 50
 * polling connections those buffers outran the garbage collector by tens of MB
 * (bench/README.md, peak RSS). States are immutable and replaced on every
 * commit, so the state object itself is the cache key (one per projection seq).
 */
@Injectable()
export class ManifestService {
  private cached?: { readonly state: QmdlStoreState; readonly body: Buffer };

  constructor(@Inject(LEDGER) private readonly ledger: Ledger) {}

  /** The same bytes `res.json(toRayhunterManifest(state))` would send; only the head's are kept. */
  serialised(state: QmdlStoreState): Buffer {
    if (this.cached?.state === state) return this.cached.body;
    const body = Buffer.from(JSON.stringify(toRayhunterManifest(state)), 'utf8');
    if (state === this.ledger.state()) this.cached = { state, body };
    return body;
  }
}
