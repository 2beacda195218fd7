package format

import "github.com/apache/arrow-go/v18/arrow"

// Arrow types of the change columns.
var (
	arrowUTF8         arrow.DataType = arrow.BinaryTypes.String
	arrowBinary       arrow.DataType = arrow.BinaryTypes.Binary
	arrowInt64        arrow.DataType = arrow.PrimitiveTypes.Int64
	arrowTimestampUTC arrow.DataType = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
)
