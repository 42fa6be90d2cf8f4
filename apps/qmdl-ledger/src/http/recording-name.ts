import { applyDecorators } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
import { parseRecordingName as parseName, RECORDING_NAME_PATTERN } from '@ledger/domain';

/**
 * The route parameter a recording name arrives in: `@Get(recordingRoute('qmdl'))`
 * with `@Param(RECORDING_NAME_PARAM)`. The route does not restrict it with a
 * pattern on purpose: a name that is not one must reach the handler and answer
 * 400 INVALID_RECORDING_NAME (as the original does), not fall through to a 404.
 */
export const RECORDING_NAME_PARAM = 'name';

/** `prefix/:name` (and `/rest` after it): the route of one recording under `prefix`. */
export function recordingRoute(prefix: string, rest?: string): string {
  return `${prefix}/:${RECORDING_NAME_PARAM}${rest === undefined ? '' : `/${rest}`}`;
}

/**
 * The recording name of a URL parameter, with the Rayhunter suffix (`.qmdl`,
 * `.zip`) stripped, or INVALID_RECORDING_NAME (the domain's rule). Nothing
 * reaches the filesystem before this check, so `../`, `%2e%2e`, NUL and the
 * like never become a path.
 */
export function parseRecordingName(raw: unknown, suffix?: string): string {
  let name = typeof raw === 'string' ? raw : '';
  if (suffix !== undefined && name.endsWith(suffix)) name = name.slice(0, -suffix.length);
  return parseName(name);
}

/**
 * The OpenAPI description of the name parameter, its pattern built from the
 * domain's rule: a name, optionally followed by `suffix`, or also `live`.
 */
export function ApiRecordingNameParam(
  options: { readonly suffix?: string; readonly orLive?: boolean; readonly description?: string } = {},
): MethodDecorator & ClassDecorator {
  const suffix = options.suffix === undefined ? '' : `(${options.suffix.replace(/\./g, '\\.')})?`;
  const name = options.orLive ? `(${RECORDING_NAME_PATTERN}|live)` : RECORDING_NAME_PATTERN;
  const description =
    options.description ??
    `Recording name (decimal digits)${options.suffix === undefined ? '' : `, optionally with ${options.suffix}`}`;
  return applyDecorators(
    ApiParam({
      name: RECORDING_NAME_PARAM,
      description,
      schema: { type: 'string', pattern: `^${name}${suffix}$` },
    }),
  );
}
