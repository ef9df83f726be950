"""Reads a report's data files as an evaluator would and prints what they hold as JSON.

    read_report.py DATA.csv BOOK.xlsx

csv: {chart: {category: {series: value}}} from the long-form CSV (the csv module, as pandas
reads it too); xlsx: {sheet: [[cell, ...], ...]} from the workbook (openpyxl).
"""
import csv
import json
import sys

import openpyxl


def main() -> None:
    charts: dict = {}
    with open(sys.argv[1], newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            value = float(row["value"]) if row["value"] else None
            charts.setdefault(row["chart"], {}).setdefault(row["category"], {})[row["series"]] = value
    book = openpyxl.load_workbook(sys.argv[2], read_only=True)
    sheets = {
        sheet.title: [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
        for sheet in book.worksheets
    }
    json.dump({"csv": charts, "xlsx": sheets}, sys.stdout, default=str)


if __name__ == "__main__":
    main()
