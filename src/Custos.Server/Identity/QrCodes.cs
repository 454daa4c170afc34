using System.Text;
using QRCoder;
using QRCoder.Exceptions;

namespace Custos.Server.Identity;

/// <summary>
/// QR renderings of enrolment URIs (<c>otpauth://</c>) for the web console (PNG) and the CLI (text). Error correction
/// level M; every rendering keeps the 4-module quiet zone that scanners need. The text usually holds a secret, so it
/// never appears in an exception message.
/// </summary>
public static class QrCodes
{
    /// <summary>Pixels per module in <see cref="Png"/>: a 33-module otpauth code becomes a 264-pixel image.</summary>
    public const int PixelsPerModule = 8;

    /// <summary>Most UTF-8 bytes a QR code holds at error correction level M (version 40, byte mode).</summary>
    public const int MaxBytes = 2331;

    /// <summary>A PNG image, black modules on white.</summary>
    public static byte[] Png(string text)
    {
        using var data = Encode(text);
        using var png = new PngByteQRCode(data);
        return png.GetGraphic(PixelsPerModule);
    }

    /// <summary>
    /// A rendering for a terminal with light text on a dark background (the common default): two module rows per
    /// line with the half blocks ▀ ▄ █, light modules drawn, so a phone scans it as dark modules on light.
    /// </summary>
    public static string Terminal(string text) => Terminal(text, darkOnLight: false);

    /// <summary>
    /// As <see cref="Terminal(string)"/>; <paramref name="darkOnLight"/> draws the dark modules instead, for terminals
    /// with dark text on a light background. Every line has the same width (the module count, quiet zone included).
    /// </summary>
    public static string Terminal(string text, bool darkOnLight)
    {
        using var data = Encode(text);
        var matrix = data.ModuleMatrix;
        var size = matrix.Count;
        bool Drawn(int row, int column) => row < size && matrix[row][column] == darkOnLight;
        var builder = new StringBuilder((size + 1) * ((size + 1) / 2));
        for (var row = 0; row < size; row += 2)
        {
            for (var column = 0; column < size; column++)
            {
                builder.Append((Drawn(row, column), Drawn(row + 1, column)) switch
                {
                    (true, true) => '█',
                    (true, false) => '▀',
                    (false, true) => '▄',
                    _ => ' ',
                });
            }

            builder.Append('\n');
        }

        return builder.ToString();
    }

    private static QRCodeData Encode(string text)
    {
        ArgumentException.ThrowIfNullOrEmpty(text);
        var bytes = Encoding.UTF8.GetByteCount(text);
        if (bytes > MaxBytes)
            throw new ArgumentException($"The text is too long for a QR code: {bytes} UTF-8 bytes, at most {MaxBytes}.", nameof(text));
        try
        {
            return QRCodeGenerator.GenerateQrCode(text, QRCodeGenerator.ECCLevel.M);
        }
        catch (DataTooLongException exception)
        {
            throw new ArgumentException($"The text is too long for a QR code at error correction level M ({bytes} UTF-8 bytes).", nameof(text), exception);
        }
    }
}
