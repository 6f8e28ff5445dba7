//! Tables from Arrow record batches already in memory (a DataFrame handed over through the
//! Arrow C stream interface, say), converted as a Parquet file's batches are: the same types,
//! vector (list) columns, binary image columns and errors (see the Parquet reader's module
//! doc for the type mapping).
//!
//! The batches' buffers are read where they are; core's `Table` owns its columns, so each
//! value is copied once into its typed column, as a file read does.

use std::path::Path;

use arrow_array::RecordBatchReader;
use modelwatch_core::descriptors::image::ImageLimits;

use crate::error::{one_line, show};
use crate::parquet::BatchDecoder;
use crate::{ParquetWithImages, ReadError};

fn invalid_arrow(path: &Path, message: String) -> ReadError {
    ReadError::InvalidArrow {
        path: show(path),
        message: one_line(message),
    }
}

/// Reads every batch of `reader` into a table; `name` stands for the data in error
/// messages. Binary columns named in `images` are replaced by their image descriptor
/// columns (as [`crate::read_parquet_with_images`] does); list columns of numbers become
/// their component columns `NAME.0 ..`, listed in [`ParquetWithImages::vectors`].
pub fn read_record_batches(
    name: &str,
    reader: impl RecordBatchReader,
    images: &[String],
    limits: &ImageLimits,
) -> Result<ParquetWithImages, ReadError> {
    let path = Path::new(name);
    let schema = reader.schema();
    let mut decoder = BatchDecoder::new(path, &schema, 0, Some((images, limits)), invalid_arrow)?;
    for batch in reader {
        let batch = batch.map_err(|e| invalid_arrow(path, e.to_string()))?;
        if batch.schema().fields() != schema.fields() {
            return Err(invalid_arrow(
                path,
                "a batch's schema differs from the stream's".to_string(),
            ));
        }
        decoder.push(&batch)?;
    }
    decoder.finish()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::builder::{Float64Builder, ListBuilder};
    use arrow_array::types::Int8Type;
    use arrow_array::{
        ArrayRef, DictionaryArray, Float64Array, Int64Array, RecordBatch, RecordBatchIterator,
        StringArray,
    };
    use modelwatch_core::table::ColumnData;

    use super::*;

    fn batches(columns: Vec<(&str, ArrayRef)>) -> impl RecordBatchReader {
        let batch = RecordBatch::try_from_iter(columns).unwrap();
        let schema = batch.schema();
        RecordBatchIterator::new([Ok(batch.clone()), Ok(batch)], schema)
    }

    #[test]
    fn columns_arrive_typed_as_from_parquet() {
        let mut list = ListBuilder::new(Float64Builder::new());
        for v in [[1.0, 2.0], [3.0, 4.0]] {
            list.values().append_slice(&v);
            list.append(true);
        }
        let labels: DictionaryArray<Int8Type> = ["a", "b"].into_iter().collect();
        let reader = batches(vec![
            (
                "x",
                Arc::new(Float64Array::from(vec![Some(1.5), None])) as ArrayRef,
            ),
            ("n", Arc::new(Int64Array::from(vec![1, 2]))),
            ("s", Arc::new(StringArray::from(vec!["u", "v"]))),
            ("c", Arc::new(labels)),
            ("emb", Arc::new(list.finish())),
        ]);
        let read = read_record_batches("frame", reader, &[], &ImageLimits::default()).unwrap();
        let t = &read.table;
        assert_eq!(t.rows(), 4);
        match &t.column("x").unwrap().data {
            ColumnData::Float(v) => {
                assert_eq!(v[0], 1.5);
                assert!(v[1].is_nan());
                assert_eq!(v[2], 1.5);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(t.column("n").unwrap().data, ColumnData::Int(_)));
        assert!(matches!(t.column("s").unwrap().data, ColumnData::Str(_)));
        assert!(matches!(t.column("c").unwrap().data, ColumnData::Str(_)));
        assert!(t.column("emb.1").is_some());
        assert_eq!(read.vectors.len(), 1);
        assert_eq!(read.vectors[0].dimension, 2);
    }

    #[test]
    fn an_unsupported_column_is_named() {
        let inner = Arc::new(StringArray::from(vec!["a"])) as ArrayRef;
        let structs = arrow_array::StructArray::try_from(vec![("f", inner)]).unwrap();
        let reader = batches(vec![("st", Arc::new(structs) as ArrayRef)]);
        let e = read_record_batches("reference", reader, &[], &ImageLimits::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("reference: column \"st\" has unsupported type"),
            "{e}"
        );
    }
}
