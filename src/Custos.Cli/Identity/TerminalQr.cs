namespace Custos.Cli.Identity;

/// <summary>A QR code drawn with half-block characters, so an authenticator app can scan an otpauth URI off the terminal.</summary>
public static class TerminalQr
{
    public static string Render(string text) => Custos.Server.Identity.QrCodes.Terminal(text);
}
