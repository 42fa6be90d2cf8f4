import { Body, Controller, Delete, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { HttpRequest as Request, HttpResponse as Response } from './http-types';
import { LedgerError } from '@ledger/domain';
import { AuthService, SESSION_COOKIE } from './auth.service';

/** Sign-in for the admin viewer: the token is exchanged for an HttpOnly session cookie (EventSource cannot send headers). */
@ApiTags('auth')
@Controller('api/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Get('status')
  @ApiOperation({ summary: 'Whether a token is required, and whether this request is authenticated' })
  @ApiResponse({ status: 200, description: '{required, authenticated}' })
  status(@Req() req: Request): { required: boolean; authenticated: boolean } {
    return { required: this.auth.required, authenticated: this.auth.isAuthenticated(req) };
  }

  @Post('session')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Exchange the admin token for a session cookie (ledger_session; HttpOnly; SameSite=Strict)',
  })
  @ApiBody({ schema: { type: 'object', required: ['token'], properties: { token: { type: 'string' } } } })
  @ApiResponse({ status: 204, description: 'signed in (Set-Cookie)' })
  @ApiResponse({ status: 401, description: 'UNAUTHORIZED: wrong token' })
  @ApiResponse({ status: 429, description: 'SIGN_IN_THROTTLED: too many wrong tokens from this address (Retry-After)' })
  signIn(@Req() req: Request, @Body() body: unknown, @Res({ passthrough: true }) res: Response): void {
    if (!this.auth.required) return;
    const token = body !== null && typeof body === 'object' ? (body as Record<string, unknown>)['token'] : undefined;
    if (!this.auth.signIn(req, token)) throw new LedgerError('UNAUTHORIZED', 'wrong token');
    const id = this.auth.createSession();
    res.setHeader('Set-Cookie', `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/`);
  }

  @Delete('session')
  @HttpCode(204)
  @ApiOperation({ summary: 'Sign out: forget the session and clear the cookie' })
  @ApiResponse({ status: 204, description: 'signed out' })
  signOut(@Req() req: Request, @Res({ passthrough: true }) res: Response): void {
    this.auth.endSession(req);
    res.setHeader('Set-Cookie', `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`);
  }
}
