// Package static embeds the console's CSS, JavaScript (htmx 2.0.11, vendored) and images.
package static

import "embed"

//go:embed css js
var FS embed.FS
