"""What communes write in the assessments and the appendices' text items, for the sample answers.

Each item has long answers, whose slots ({plan}, {posts}, …) take values drawn for the unit so
that no two units write the same long text (the night's review would warn that it was pasted),
and short standard answers that several units may share (below the review's length, the report
groups them). A count followed by a word the review reads ("bảng tin", "cụm loa", "tuyên truyền
viên", "buổi tập huấn", "lượt người") is always the unit's own figure from its tables.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Bank:
    long: tuple[str, ...]
    short: tuple[str, ...] = ()
    empty: float = 0.0  # the share of units leaving it empty (optional items only)


_PLAN = ("Ủy ban nhân dân đã ban hành Kế hoạch số {plan}/KH-UBND ngày {date} triển khai Chiến "
         "lược phát triển lĩnh vực thông tin cơ sở giai đoạn 2021 - 2025; hằng năm đưa chỉ tiêu "
         "thông tin cơ sở vào kế hoạch phát triển kinh tế - xã hội.")

BANKS: Mapping[str, Bank] = {
    "A.1": Bank((
        _PLAN,
        "Đã ban hành Kế hoạch số {plan}/KH-UBND ngày {date} và Quyết định kiện toàn Ban biên "
        "tập đài truyền thanh; giao công chức văn hóa - xã hội theo dõi, báo cáo định kỳ {every} "
        "tháng một lần.",
        "Thực hiện Kế hoạch số {plan}/KH-UBND ngày {date}, đơn vị lồng ghép nhiệm vụ thông tin cơ "
        "sở vào chương trình chuyển đổi số; đến nay đạt khoảng {share}% chỉ tiêu đề ra.",
    )),
    "A.2": Bank((
        "Cấp ủy, chính quyền quan tâm chỉ đạo; năm 2025 ban hành {documents} văn bản hướng dẫn. "
        "Khó khăn: công chức kiêm nhiệm nhiều việc, chỉ dành khoảng {hours} giờ mỗi tuần cho "
        "thông tin cơ sở, {meetings} cuộc họp giao ban trong năm.",
        "Việc chỉ đạo qua {meetings} cuộc họp giao ban, {documents} văn bản và {posts} tin nhắn "
        "điều hành; vướng mắc là "
        "sau sắp xếp đơn vị hành chính, đầu mối theo dõi thay đổi nên báo cáo còn chậm.",
    ), ("Chỉ đạo kịp thời, đúng hướng dẫn của tỉnh.", "Không có khó khăn, vướng mắc."), 0.3),
    "B.I.4.a": Bank((
        "Đơn vị duy trì trang Facebook và {groups} nhóm Zalo thôn, tổ dân phố; năm 2025 đăng "
        "{posts} tin, bài, thu hút khoảng {followers} lượt theo dõi, người dân phản ánh kiến nghị "
        "được trả lời kịp thời.",
        "Đã lập {groups} nhóm Zalo để chuyển tải thông tin đến người dân; trung bình mỗi tuần "
        "đăng {weekly} tin, bài về chủ trương, chính sách, cảnh báo thiên tai, lừa đảo qua mạng; "
        "tỷ lệ hộ tham gia đạt khoảng {share}%.",
        "Trang thông tin trên mạng xã hội của UBND có khoảng {followers} lượt theo dõi; đã đăng "
        "{posts} tin, bài, phát trực tiếp {lives} hội nghị tiếp xúc cử tri, đối thoại với nhân "
        "dân.",
    )),
    "B.I.4.b": Bank((
        "Thuận lợi: đa số hộ dân dùng điện thoại thông minh. Khó khăn: chưa có cán bộ chuyên trách "
        "quản trị trang, khoảng {share}% trong {posts} tin, bài phải chờ duyệt nên chậm.",
        "Khó khăn lớn nhất là thông tin xấu, độc lan nhanh; năm 2025 đơn vị ghi nhận {rumours} "
        "trường hợp trong {posts} tin, bài được chia sẻ, phân công {staff} người theo dõi, phản "
        "bác.",
    ), ("Người dân ở vùng sâu còn ít dùng mạng xã hội.", "Không có vướng mắc."), 0.3),
    "B.II.1": Bank((
        "Đã ứng dụng phần mềm biên tập và phát thanh tự động, chuyển văn bản thành giọng nói; "
        "năm 2025 sản xuất {programs} chương trình, {posts} tin, bài, mỗi tuần phát sóng {hours} "
        "buổi.",
        "Nội dung được số hóa, lưu trữ trên Hệ thống thông tin nguồn; khoảng {share}% tin, bài "
        "được biên tập lại từ nguồn của tỉnh, số còn lại do đơn vị tự sản xuất ({programs} tin, "
        "bài trong năm).",
        "Đài truyền thanh đã dùng máy tính, micro chuyên dụng để sản xuất nội dung; năm 2025 thực "
        "hiện {programs} chuyên mục, tiếp sóng Đài Tiếng nói Việt Nam {hours} giờ mỗi ngày.",
    )),
    "B.II.2": Bank((
        "Thuận lợi là nguồn tin của tỉnh phong phú; khó khăn là thiết bị đã cũ, {devices} bộ máy "
        "tính dùng chung để sản xuất {programs} chương trình và {posts} tin, bài mỗi năm.",
        "Vướng mắc: chưa có biên chế phóng viên, biên tập viên; nội dung tự sản xuất ({programs} "
        "chương trình) mới chiếm khoảng {share}% thời lượng phát sóng.",
    ), ("Thiếu thiết bị và nhân lực biên tập.", "Thiếu kinh phí mua phần mềm chuyên dụng."), 0.35),
    "B.IV.1": Bank((
        "Đề nghị ban hành định mức chi cho tin, bài phát trên đài truyền thanh cấp xã; hiện đơn "
        "vị chỉ bố trí được {budget} triệu đồng mỗi năm cho khoảng {programs} tin, bài.",
    ), ("Ban hành chế độ phụ cấp cho người phụ trách đài.",
        "Hoàn thiện quy chế hoạt động của đài."), 0.4),
    "B.IV.2": Bank((
        "Đề nghị hỗ trợ chuyển đổi đài FM sang ứng dụng công nghệ thông tin - viễn thông; năm "
        "2026 đơn vị dự kiến bố trí {budget} triệu đồng đối ứng theo Kế hoạch số {plan}/KH-UBND.",
        "Kết nối bảng tin điện tử và đài truyền thanh với Hệ thống thông tin nguồn; phấn đấu đến "
        "năm 2026 đạt {share}% thôn, tổ dân phố có loa ứng dụng công nghệ thông tin, với "
        "{budget} triệu đồng từ ngân sách xã.",
    ), ("Số hóa toàn bộ nội dung phát thanh.", "Dùng phần mềm quản lý đài truyền thanh."), 0.4),
    "B.IV.3": Bank((
        "Huy động doanh nghiệp viễn thông và nhân dân cùng đóng góp; năm 2025 đã vận động được "
        "{budget} triệu đồng để sửa chữa hệ thống loa và in {leaflets} tờ gấp tuyên truyền.",
    ), ("Xã hội hóa việc lắp đặt loa ở các thôn.", "Lồng ghép các chương trình mục tiêu."), 0.4),
    "B.IV.4": Bank((
        "Tăng cường tuyên truyền trên nhiều nền tảng; tổ chức {meetings} hội nghị quán triệt "
        "trách nhiệm của người đứng đầu, phát hành {leaflets} tờ rơi đến các hộ dân.",
    ), ("Nâng cao trách nhiệm của người đứng đầu.", "Phát huy vai trò của trưởng thôn."), 0.4),
    "B.IV.5": Bank((), ("Không có.", "Tăng cường kiểm tra, giám sát."), 0.6),
    "B.IV.6": Bank((
        "Mô hình \"Loa thôn thông minh\": các cụm loa được điều khiển qua điện thoại, phát "
        "đúng giờ cố định; sau {months} tháng, tỷ lệ người dân nghe được tăng lên khoảng {share}%"
        " với chi phí {budget} triệu đồng.",
        "Mô hình \"Zalo tổ dân phố\": {groups} nhóm, mỗi nhóm có tổ trưởng làm quản trị; năm "
        "2025 đã tiếp nhận và giải đáp {posts} phản ánh của người dân.",
    ), (), 0.5),
    "C.1": Bank((
        "Được sự quan tâm của cấp ủy, chính quyền; hệ thống truyền thanh cơ sở cơ bản phủ sóng "
        "{share}% thôn, tổ dân phố; năm 2025 phát {programs} chương trình; đội ngũ {propagandists} "
        "tuyên truyền viên nhiệt tình.",
        "Hạ tầng viễn thông phát triển, {share}% hộ dân dùng điện thoại thông minh; nguồn tin, "
        "bài từ tỉnh dồi dào, kịp thời; năm 2025 có {posts} tin, bài được phát lại trên loa.",
    )),
    "C.2": Bank((
        "Thiết bị đài truyền thanh xuống cấp, {broken} loa thôn hư hỏng chưa được thay thế; kinh "
        "phí hằng năm chỉ khoảng {budget} triệu đồng, không đủ sửa chữa và trả nhuận bút cho "
        "{posts} tin, bài.",
        "Sau sắp xếp đơn vị hành chính, địa bàn rộng, dân cư phân tán; người làm công tác thông "
        "tin cơ sở kiêm nhiệm, chưa qua đào tạo chuyên sâu; phụ cấp thấp ({allowance} nghìn "
        "đồng mỗi tháng), năm 2025 chỉ chi {budget} triệu đồng cho {posts} tin, bài; loa mới "
        "phủ {share}% số hộ.",
    )),
    "C.3": Bank((
        "Nguồn ngân sách xã còn hạn hẹp; chưa có định mức chi cụ thể; việc chuyển đổi đài mới "
        "thực hiện được khoảng {share}% khối lượng ({programs} hạng mục), còn thiếu {budget} triệu "
        "đồng.",
        "Một bộ phận cán bộ chưa nhận thức đầy đủ vai trò của thông tin cơ sở; chính sách đãi ngộ "
        "chưa tương xứng, {leavers} người phụ trách đài đã nghỉ việc; năm 2025 chỉ chi {budget} "
        "triệu đồng nhuận bút cho {posts} tin, bài.",
    )),
    "D.1": Bank((
        "Đề nghị Chính phủ bố trí vốn hỗ trợ các xã miền núi chuyển đổi đài truyền thanh; riêng "
        "đơn vị cần khoảng {budget} triệu đồng theo Kế hoạch số {plan}/KH-UBND, ngân sách xã đối "
        "ứng {share}%.",
    ), ("Có chính sách phụ cấp cho tuyên truyền viên.",
        "Tăng đầu tư cho thông tin cơ sở vùng khó khăn."), 0.35),
    "D.2": Bank((
        "Đề nghị Bộ tổ chức tập huấn trực tuyến về sản xuất nội dung số cho khoảng {trainees} "
        "người của đơn vị; xây dựng kho tin, bài dùng chung (năm 2025 đơn vị tự biên tập "
        "{programs} tin, bài, in {leaflets} tờ gấp).",
    ), ("Hướng dẫn tiêu chuẩn kỹ thuật đài IP.",
        "Xây dựng kho dữ liệu nội dung dùng chung."), 0.35),
    "D.3": Bank((), ("Không có kiến nghị khác.", "Không."), 0.6),
    "pl01_advantages": Bank((
        "Đài truyền thanh hoạt động ổn định, phát {hours} buổi mỗi tuần, {programs} chương trình "
        "trong năm 2025, {posts} tin, bài; được nhân dân đón nhận.",
    ), ("Hạ tầng viễn thông thuận lợi.", "Được tỉnh hỗ trợ thiết bị."), 0.2),
    "pl01_difficulties": Bank((
        "Hệ thống loa có dây lắp từ năm {year} đã xuống cấp; khoảng {share}% loa hoạt động kém, "
        "cần {budget} triệu đồng để thay thế.",
    ), ("Thiết bị cũ, hay hỏng.", "Địa bàn rộng, đồi núi chia cắt."), 0.2),
    "pl01_causes": Bank((), ("Thiếu kinh phí đầu tư, sửa chữa.", "Thời tiết khắc nghiệt."), 0.3),
    "pl02_advantages": Bank((
        "Trang thông tin điện tử được cập nhật thường xuyên, năm 2025 có {posts} tin, bài và "
        "{followers} lượt truy cập.",
    ), ("Có cán bộ phụ trách trang thông tin.", "Dùng nền tảng của tỉnh."), 0.25),
    "pl02_difficulties": Bank((), ("Chưa có kinh phí lắp bảng tin điện tử.",
                                   "Đường truyền internet chưa ổn định."), 0.3),
    "pl02_causes": Bank((), ("Ngân sách xã hạn hẹp.", "Chưa có hướng dẫn kỹ thuật."), 0.35),
    "pl03_advantages": Bank((), ("Cán bộ trẻ, nhiệt tình.", "Được tỉnh mở lớp tập huấn."), 0.25),
    "pl03_difficulties": Bank((
        "Tuyên truyền viên thay đổi thường xuyên; {staff} người mới chưa được bồi dưỡng, năm "
        "2025 chỉ có {budget} triệu đồng cho tập huấn và {leaflets} tài liệu.",
    ), ("Cán bộ kiêm nhiệm nhiều việc.", "Chưa có phụ cấp cho tuyên truyền viên."), 0.25),
    "pl03_causes": Bank((), ("Chế độ đãi ngộ thấp.", "Thiếu kinh phí tập huấn."), 0.35),
}


def slots(draw: random.Random, figures: Mapping[str, int]) -> dict[str, str]:
    """The values a unit's texts are written with: drawn for it, and its own ``figures``."""
    day, month, year = draw.randint(1, 28), draw.randint(1, 12), draw.randint(2021, 2023)
    drawn = {"plan": draw.randint(10, 199), "date": f"{day}/{month}/{year}", "year": year - 15,
             "every": draw.choice((3, 6)), "share": draw.randint(55, 98),
             "hours": draw.randint(2, 7), "meetings": draw.randint(4, 24),
             "groups": draw.randint(6, 60), "posts": draw.randint(120, 980),
             "followers": f"{draw.randint(800, 9500):,}".replace(",", "."),
             "weekly": draw.randint(5, 30), "lives": draw.randint(2, 12),
             "staff": draw.randint(2, 6), "programs": draw.randint(40, 400),
             "devices": draw.randint(1, 3), "budget": draw.randint(15, 180),
             "months": draw.randint(6, 30), "broken": draw.randint(2, 9),
             "allowance": draw.randint(3, 15) * 100, "leavers": draw.randint(1, 4),
             "trainees": draw.randint(5, 30), "documents": draw.randint(3, 40),
             "rumours": draw.randint(2, 40), "leaflets": draw.randint(200, 3000)}
    return {key: str(value) for key, value in (drawn | dict(figures)).items()}


def write(draw: random.Random, bank: Bank, values: Mapping[str, str], required: bool) -> str:
    """One unit's answer to an item: empty (only if optional), short standard, or long."""
    if not required and draw.random() < bank.empty:
        return ""
    if bank.short and (not bank.long or (not required and draw.random() < 0.35)):
        return draw.choice(bank.short)
    return draw.choice(bank.long).format(**values)
