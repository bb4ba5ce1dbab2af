"""What the pages call the API's closed sets, in the regulation's Vietnamese (Quyết định
1207/QĐ-UBND): kinds of report (Điều 1.2), urgency (Điều 8.4), stages, ratings (Điều 13),
alerts (Chương III) and levels of unit. A value missing here shows as itself."""

from __future__ import annotations

VIETNAMESE: dict[str, dict[str, str]] = {
    "kind": {
        "field": "Phản ánh, kiến nghị hiện trường",
        "administrative_regulation": "Phản ánh, kiến nghị về quy định hành chính",
        "waste_behaviour": "Phản ánh hành vi lãng phí",
        "investor_enterprise": "Phản ánh, kiến nghị nhà đầu tư, doanh nghiệp",
        "capital_initiative": "Sáng kiến xây dựng Thủ đô",
    },
    "urgency": {"urgent": "Khẩn", "normal": "Thông thường", "complex": "Phức tạp"},
    "stage": {
        "reception": "tiếp nhận", "verification": "xác minh", "assignment": "giao xử lý",
        "handling": "xử lý", "rework": "tham mưu lại", "approval": "phê duyệt",
        "result_update": "cập nhật kết quả", "publication": "công khai kết quả",
        "clarification": "làm rõ kết quả", "response": "trả lời sáng kiến",
    },
    "rating": {"satisfied": "Hài lòng", "acceptable": "Chấp nhận được",
               "unsatisfied": "Không hài lòng"},
    "severity": {"low": "Thấp", "medium": "Trung bình", "high": "Cao"},
    "alert_category": {"information": "Thông tin tuyên truyền", "warning": "Cảnh báo"},
    "level": {"city": "Thành phố", "district": "Quận, huyện, thị xã",
              "commune": "Xã, phường, thị trấn"},
}


def vietnamese(value: object, vocabulary: str) -> str:
    """``value`` of the closed set ``vocabulary`` as the pages show it."""
    text = str(value)
    return VIETNAMESE[vocabulary].get(text, text)
