using QRCoder;

namespace Custos.Cli.Identity;

/// <summary>
/// A QR code drawn with half-block characters, so an authenticator app can scan an otpauth URI off the terminal.
/// Rendered here with QRCoder until the server's shared QR helper is available to the CLI.
/// </summary>
public static class TerminalQr
{
    public static string Render(string text)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(text, QRCodeGenerator.ECCLevel.M);
        using var code = new AsciiQRCode(data);
        return code.GetGraphicSmall(drawQuietZones: true, invert: false, endOfLine: "\n");
    }
}
