import { stateless, type Analyzer } from './analyzer';

/** An RRC connection release that sends the phone to a GERAN (2G) carrier. */
export const connectionRedirect2gDowngradeAnalyzer: Analyzer<undefined> = {
  key: 'connection_redirect_2g_downgrade',
  name: 'Connection Release/Redirected Carrier 2G Downgrade',
  description:
    'Flags an RRC connection release whose redirect target is a 2G (GERAN) carrier, where calls and SMS can be intercepted.',
  version: 1,
  reads: { rrc: ['rrcConnectionRelease'], nas: [] },
  initial: () => undefined,
  analyze(_state, ie) {
    if (ie.kind !== 'lte-rrc' || ie.rrc.message !== 'rrcConnectionRelease') return stateless(undefined);
    const redirect = ie.rrc.redirectedCarrierInfo;
    if (redirect === undefined) return stateless(undefined);
    if (redirect.type === 'geran')
      return stateless({ event_type: 'High', message: 'Connection released with a redirect to 2G' });
    return stateless({
      event_type: 'Informational',
      message: `Connection released with a redirect to ${redirect.type}${redirect.value === undefined ? '' : ` ${JSON.stringify(redirect.value)}`}`,
    });
  },
};
