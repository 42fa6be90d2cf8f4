/**
 * Crafted analysis vectors (`craftedMessages` of @ledger/analysis) as the diag
 * log messages a device writes: LTE RRC OTA logs of layout version 15, EMM plain
 * logs for NAS.
 */
import type { CraftedMessage } from '@ledger/analysis';
import { LOG_CODE_LTE_RRC_OTA, buildDiagLogMessage, buildLteRrcOtaBody } from '@ledger/qmdl';
import { LOG_CODE_LTE_NAS_EMM_PLAIN_IN, LOG_CODE_LTE_NAS_EMM_PLAIN_OUT } from '@ledger/radio';

/** PDU numbers of LTE RRC OTA layout version 15. */
const PDU_V15: Record<string, number> = { 'BCCH-DL-SCH': 2, 'DL-DCCH': 7, 'UL-CCCH': 8, 'UL-DCCH': 9 };

/** The diag log message (unframed) of a crafted message, logged at `timeMs`. */
export function craftedDiagMessage(m: CraftedMessage, timeMs: number): Buffer {
  if (m.kind === 'lte-rrc') {
    const body = buildLteRrcOtaBody({
      extHeaderVersion: 15,
      rrcRelMaj: 15,
      rrcRelMin: 0,
      bearerId: 0,
      phyCellId: 1,
      earfcn: 1300,
      sfnSubfn: 0,
      pduNum: PDU_V15[m.channel] as number,
      sibMask: 0,
      payload: Buffer.from(m.payload),
    });
    return buildDiagLogMessage({ logCode: LOG_CODE_LTE_RRC_OTA, body, timeMs });
  }
  const logCode = m.direction === 'uplink' ? LOG_CODE_LTE_NAS_EMM_PLAIN_OUT : LOG_CODE_LTE_NAS_EMM_PLAIN_IN;
  return buildDiagLogMessage({
    logCode,
    body: Buffer.concat([Buffer.from([1, 15, 0, 0]), Buffer.from(m.payload)]),
    timeMs,
  });
}
