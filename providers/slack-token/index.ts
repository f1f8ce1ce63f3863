import { ConfigError } from '../../domain/inventory';
import type { ProviderModule } from '../module';
import { SlackTokenProvider } from './credential';
import { slackTokenKind } from './kind';
import { readRefreshTokens } from './refresh-tokens';
import { slackTokenSettings } from './settings';

/** Slack tokens and incoming webhook URLs: identify (auth.test), revoke (auth.revoke), rotate (oauth.v2.access) or ask a person, verify. */
export const slackTokenModule: ProviderModule = {
  name: 'slack-token',
  credential: slackTokenKind,
  create(ctx) {
    const settings = slackTokenSettings(ctx);
    // Checked now, so a broken file stops the worker at start instead of an incident later; read again when used.
    if (settings.refreshTokenFile) {
      const file = readRefreshTokens(settings.refreshTokenFile);
      if (!file.ok) throw new ConfigError(`Slack token provider configuration is invalid:\n${file.problem}`);
    }
    return { credential: new SlackTokenProvider(settings, ctx.vault) };
  },
};
